"""The host image's recipe: where its Debian mirror is read from, and its cache key."""

from tests.support import host_image


def test_debian_mirror_is_read_from_apt_sources():
    deb822 = ("Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
              "Types: deb\n# a comment\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n")
    assert host_image.mirror_from_deb822(deb822) == "http://mirror.example/debian"
    one_line = "deb [arch=amd64] http://mirror.example/debian bookworm main\n"
    assert host_image.mirror_from_one_line(one_line) == "http://mirror.example/debian"
    assert host_image.mirror_from_deb822("Types: deb\nURIs: http://x\nSuites: trixie\n") is None


def test_image_name_changes_with_the_recipe(monkeypatch):
    first = host_image.image_name("http://mirror.example/debian")
    assert first == host_image.image_name("http://mirror.example/debian")
    assert first != host_image.image_name("http://other.example/debian")
    monkeypatch.setitem(host_image.RECIPE, "include", host_image.RECIPE["include"] + ["vim"])
    assert host_image.image_name("http://mirror.example/debian") != first
