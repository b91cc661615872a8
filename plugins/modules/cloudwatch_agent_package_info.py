#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, iamkit.ec2 developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cloudwatch_agent_package_info
short_description: Which Amazon CloudWatch agent package a host needs, and where it is downloaded from
version_added: 0.1.0
description:
  - From a host's distribution, OS family and machine architecture, returns AWS's platform and architecture
    folder, the package type (deb or rpm) and the URLs of the package and its detached signature.
  - Debian on arm64 gets AWS's Ubuntu arm64 package, since AWS publishes no Debian arm64 build.
  - Changes nothing anywhere.
options:
  distribution:
    description: The host's C(ansible_facts.distribution), for example V(Debian) or V(Amazon).
    type: str
    required: true
  os_family:
    description: The host's C(ansible_facts.os_family), used when the distribution is not known by name.
    type: str
    default: ""
  architecture:
    description: The host's C(ansible_facts.architecture), V(x86_64) or V(aarch64).
    type: str
    required: true
  version:
    description: V(latest) or a pinned agent version such as V(1.300049.1b929).
    type: str
    default: latest
  base_url:
    description:
      - Base URL laid out like AWS's bucket (C(<platform>/<arch>/<version>/amazon-cloudwatch-agent.<type>)).
      - Defaults to AWS's global bucket, or the regional one when O(region) is given.
    type: str
  region:
    description: Use AWS's bucket in this region instead of the global one (ignored when O(base_url) is given).
    type: str
author:
  - iamkit.ec2 developers (@iamkit)
"""

EXAMPLES = r"""
- name: Which package this host needs
  iamkit.ec2.cloudwatch_agent_package_info:
    distribution: "{{ ansible_facts.distribution }}"
    os_family: "{{ ansible_facts.os_family }}"
    architecture: "{{ ansible_facts.architecture }}"
  delegate_to: localhost
  register: agent_package
"""

RETURN = r"""
platform:
  description: AWS's platform folder.
  returned: always
  type: str
  sample: ubuntu
arch:
  description: AWS's architecture folder.
  returned: always
  type: str
  sample: arm64
package_type:
  description: deb or rpm.
  returned: always
  type: str
  sample: deb
url:
  description: URL of the package.
  returned: always
  type: str
  sample: https://amazoncloudwatch-agent.s3.amazonaws.com/ubuntu/arm64/latest/amazon-cloudwatch-agent.deb
signature_url:
  description: URL of the package's detached GPG signature.
  returned: always
  type: str
version_url:
  description: URL of the file naming the latest version.
  returned: always
  type: str
key_url:
  description:
    - URL of AWS's public signing key. AWS publishes it in the global bucket only, so it is the global bucket's
      also when O(region) is given; with O(base_url), the mirror's C(assets/) folder.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.iamkit.ec2.plugins.module_utils import cloudwatch_agent as agent


def main():
    module = AnsibleModule(
        argument_spec=dict(
            distribution=dict(type="str", required=True),
            os_family=dict(type="str", default=""),
            architecture=dict(type="str", required=True),
            version=dict(type="str", default="latest"),
            base_url=dict(type="str"),
            region=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        platform, arch, package_type = agent.select_package(
            params["distribution"], params["os_family"], params["architecture"]
        )
    except agent.AgentConfigError as error:
        module.fail_json(msg=str(error))
    base = (params["base_url"] or agent.bucket_url(params["region"])).rstrip("/")
    url = agent.package_url(base, platform, arch, params["version"], package_type)
    module.exit_json(
        changed=False, platform=platform, arch=arch, package_type=package_type, url=url,
        signature_url=url + ".sig", version_url=base + "/info/latest/CWAGENT_VERSION",
        key_url=agent.key_url(params["base_url"]),
    )


if __name__ == "__main__":
    main()
