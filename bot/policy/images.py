"""Image references as a registry sees them, so policy patterns can name repositories exactly.

`nginx:1.26` is `docker.io/library/nginx`; `ghcr.io/acme/web@sha256:…` is `ghcr.io/acme/web`.
Limits match the repository (registry host and path), never the tag: `ghcr.io/acme/*` allows
every image of acme's on ghcr.io and nothing on any other registry.
"""

from __future__ import annotations

DOCKER_HUB = "docker.io"


def has_registry(first: str) -> bool:
    """Whether the first path component names a registry host (as the container runtimes decide)."""
    return "." in first or ":" in first or first == "localhost"


def repository(image: str) -> str:
    """The fully qualified repository of an image reference (no tag, no digest)."""
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:  # a tag (a colon before the last slash is a registry's port)
        name = name[:colon]
    first, _, rest = name.partition("/")
    if first in (DOCKER_HUB, "index.docker.io", "registry-1.docker.io") and rest:
        return f"{DOCKER_HUB}/{rest if '/' in rest else 'library/' + rest}"
    if rest and has_registry(first):
        return name
    if not rest:
        return f"{DOCKER_HUB}/library/{name}"
    return f"{DOCKER_HUB}/{name}"
