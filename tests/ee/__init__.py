"""The execution environment layer: the EE image built with ansible-builder and podman, AWX jobs run in it
through ansible-runner on test-world hosts, and ansible-navigator with the same image."""
