"""Round trips over every module of the 2.0 spec suite.

Text -> abstract syntax -> binary -> decode must give back the same abstract
syntax, and so must binary -> decode -> encode -> decode; this ties the text
parser, the encoder and the decoder to each other on real inputs.
"""

from __future__ import annotations

import glob
import os
from typing import List

import pytest

from conftest import TESTSUITE
from wasmlite import encode
from wasmlite.decode import decode_module
from wasmlite.text import parse_module
from wasmlite.text.wast import ModuleCmd, parse_script

FILES = sorted(glob.glob(os.path.join(TESTSUITE, "wasm-2.0", "*.wast")))


def _module_commands(path: str) -> List[ModuleCmd]:
    with open(path, encoding="utf-8") as f:
        return [c for c in parse_script(f.read(), path) if isinstance(c, ModuleCmd)]


@pytest.mark.parametrize("path", FILES, ids=os.path.basename)
def test_roundtrip(path: str) -> None:
    commands = _module_commands(path)
    for cmd in commands:
        if cmd.source.kind == "binary":
            first = decode_module(cmd.source.payload)
        else:
            first = parse_module(cmd.source.payload)
        again = decode_module(encode.module(first))
        assert again == first, f"{os.path.basename(path)}:{cmd.line}: round trip changed the module"
