"""``python -m fuzz validate|malformed|exec [--seed N] [--count N] [--out DIR]``

validate:  smith modules and their mutants, wasmlite's verdict against wasmtime's
           (wasm-tools breaks ties); reports disagreements and crashes.
malformed: mutated spec-suite text, binaries and scripts; reports anything but a
           WasmError escaping, and inputs over the time bound.
exec:      smith modules run in wasmtime and in wasmlite (tiers 0 and 1), every
           export called; reports mismatches (results, traps, final memories,
           globals and tables, instantiation), crashes, and slow modules.

Runs until interrupted unless --count is given; each finding is written to
--out as the input plus a .txt description. Exit status 1 if anything was found.
Run from the repository root (``fuzz`` is not part of the installed package).
"""

from __future__ import annotations

import argparse
import random
import sys

from . import campaign, execute, oracle


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n\n")[1])
    parser.add_argument("mode", choices=["validate", "malformed", "exec"])
    parser.add_argument("--seed", type=int, default=None, help="RNG seed (default: random)")
    parser.add_argument("--count", type=int, default=None, help="stop after N modules (validate, exec) or inputs (malformed)")
    parser.add_argument("--out", default="fuzz-findings", help="directory for findings (default: %(default)s)")
    parser.add_argument("--time-limit", type=float, default=None,
                        help=f"seconds per input (default: {oracle.TIME_LIMIT}; exec: {execute.TIME_LIMIT} per module and tier)")
    parser.add_argument("--simd", action="store_true", help="exec: let smith generate SIMD")
    parser.add_argument("--tiers", default="0,1", help="exec: wasmlite tiers to compare, comma-separated (default: %(default)s)")
    parser.add_argument("--mutations", type=int, default=10, help="mutants per smith module (validate)")
    parser.add_argument(
        "--memory-limit", type=int, default=4096, metavar="MB",
        help="address-space limit (exec: data-segment limit, as wasmtime reserves gigabytes of address "
        "space per memory), so a runaway allocation shows up as a MemoryError crash (default: %(default)s; 0: none)",
    )
    args = parser.parse_args(argv)
    if args.memory_limit:
        import resource

        size = args.memory_limit * 1024 * 1024
        kind = resource.RLIMIT_DATA if args.mode == "exec" else resource.RLIMIT_AS
        resource.setrlimit(kind, (size, size))
    seed = args.seed if args.seed is not None else random.SystemRandom().getrandbits(32)
    sys.stderr.write(f"fuzz {args.mode}: seed {seed}, findings to {args.out}/\n")

    def report(name: str, data, finding: oracle.Finding) -> None:
        path = oracle.write_finding(args.out, name, data, finding)
        first = finding.description.strip().splitlines()[-1]
        sys.stderr.write(f"\n{finding.kind}: {path}: {first}\n")

    try:
        if args.mode == "validate":
            stats = campaign.validate_campaign(
                seed, args.count, args.mutations, report, progress=True, limit=args.time_limit or oracle.TIME_LIMIT
            )
        elif args.mode == "exec":
            tiers = tuple(t.strip() for t in args.tiers.split(","))
            stats = campaign.exec_campaign(
                seed, args.count, args.simd, report, progress=True, limit=args.time_limit or execute.TIME_LIMIT,
                tiers=tiers,
            )
        else:
            stats = campaign.malformed_campaign(
                seed, args.count, report, progress=True, limit=args.time_limit or oracle.TIME_LIMIT
            )
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    return 1 if any(stats.counts.get(k) for k in ("crash", "disagreement", "mismatch")) else 0


if __name__ == "__main__":
    sys.exit(main())
