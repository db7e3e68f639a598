"""``python -m fuzz validate|malformed [--seed N] [--count N] [--out DIR]``

validate:  smith modules and their mutants, wasmlite's verdict against wasmtime's
           (wasm-tools breaks ties); reports disagreements and crashes.
malformed: mutated spec-suite text, binaries and scripts; reports anything but a
           WasmError escaping, and inputs over the time bound.

Runs until interrupted unless --count is given; each finding is written to
--out as the input plus a .txt description. Exit status 1 if anything was found.
Run from the repository root (``fuzz`` is not part of the installed package).
"""

from __future__ import annotations

import argparse
import random
import sys

from . import campaign, oracle


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[1])
    parser.add_argument("mode", choices=["validate", "malformed"])
    parser.add_argument("--seed", type=int, default=None, help="RNG seed (default: random)")
    parser.add_argument("--count", type=int, default=None, help="stop after N modules (validate) or inputs (malformed)")
    parser.add_argument("--out", default="fuzz-findings", help="directory for findings (default: %(default)s)")
    parser.add_argument("--time-limit", type=float, default=oracle.TIME_LIMIT, help="seconds per input (default: %(default)s)")
    parser.add_argument("--mutations", type=int, default=10, help="mutants per smith module (validate)")
    parser.add_argument(
        "--memory-limit", type=int, default=4096, metavar="MB",
        help="address-space limit, so a runaway allocation shows up as a MemoryError crash (default: %(default)s; 0: none)",
    )
    args = parser.parse_args(argv)
    if args.memory_limit:
        import resource

        size = args.memory_limit * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    sys.stderr.write(f"fuzz {args.mode}: seed {seed}, findings to {args.out}/\n")

    def report(name: str, data, finding: oracle.Finding) -> None:
        path = oracle.write_finding(args.out, name, data, finding)
        first = finding.description.strip().splitlines()[-1]
        sys.stderr.write(f"\n{finding.kind}: {path}: {first}\n")

    try:
        if args.mode == "validate":
            stats = campaign.validate_campaign(
                seed, args.count, args.mutations, report, progress=True, limit=args.time_limit
            )
        else:
            stats = campaign.malformed_campaign(seed, args.count, report, progress=True, limit=args.time_limit)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    return 1 if stats.counts.get("crash") or stats.counts.get("disagreement") else 0


if __name__ == "__main__":
    sys.exit(main())
