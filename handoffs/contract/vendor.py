"""Cut the part of Waldur's published OpenAPI description the hand-off uses out of the whole
document (github.com/waldur/api-docs, docs/API/waldur-openapi-schema-<version>.yaml, MIT):

    .venv/bin/python handoffs/contract/vendor.py waldur-openapi-schema-8.0.5.yaml

writes handoffs/contract/waldur-openapi-subset.json: the operations below, every component
they reference (transitively), and the document's info and security schemes, unchanged."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

OPERATIONS = {
    "/api/projects/": ["get", "post"],
    "/api/marketplace-orders/": ["get", "post"],
    "/api/marketplace-orders/{uuid}/": ["get"],
    "/api/marketplace-resources/{uuid}/": ["get"],
}
OUT = Path(__file__).with_name("waldur-openapi-subset.json")


def refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            else:
                found |= refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= refs(item)
    return found


def subset(document: dict[str, Any]) -> dict[str, Any]:
    paths = {
        path: {method: document["paths"][path][method] for method in methods}
        for path, methods in OPERATIONS.items()
    }
    components: dict[str, dict[str, Any]] = {}
    todo = refs(paths)
    while todo:
        ref = todo.pop()
        _, _, kind, name = ref.split("/", 3)
        if name in components.setdefault(kind, {}):
            continue
        components[kind][name] = document["components"][kind][name]
        todo |= refs(components[kind][name])
    components["securitySchemes"] = document["components"]["securitySchemes"]
    return {
        "openapi": document["openapi"],
        "info": document["info"],
        "paths": paths,
        "components": {kind: dict(sorted(v.items())) for kind, v in sorted(components.items())},
    }


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        whole = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    OUT.write_text(json.dumps(subset(whole), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(OPERATIONS)} paths from Waldur {whole['info']['version']}")
