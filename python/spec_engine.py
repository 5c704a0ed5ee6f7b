#!/usr/bin/env python3
"""The Ethereum execution specs (EELS, the ``ethereum-execution`` package) as an engine of the
evm-memory harness, speaking the engine protocol (docs/engine-protocol.md) on stdin/stdout.

Memory is the spec's own: a ``bytearray`` per frame, grown, written and read only through the
package's ``memory_write``, ``memory_read_bytes`` and ``buffer_read`` (``vm/memory.py``), and
priced only through its ``calculate_gas_extend_memory`` and ``max_message_call_gas``
(``vm/gas.py``), of the newest fork it ships with MCOPY (``FORK``). Each op is composed as the
package's instruction of that name composes those functions (``vm/instructions/``): MSTORE,
MSTORE8, MLOAD, MSIZE, MCOPY, CALLDATACOPY, CODECOPY, RETURNDATACOPY, KECCAK256 (the read),
RETURN, REVERT, INVALID, and CALL as ``generic_call`` does (return data cleared, the depth
check, the child's calldata read from memory, its gas capped at all but one 64th, its output
written to the return region, its unused gas back on success and revert).

What the op model adds to the spec, and this driver follows: only memory expansion gas is
charged (an op's static and copy gas are not); an offset or length above 2^64 - 1 with a
non-zero length is ``InvalidOperand`` (in the spec, an out-of-gas), checked region by region
before that region is priced; a growth of the frames together past 4 GiB is ``Limit`` (in the
spec, an out-of-gas: no gas pays for it), checked before pricing; CALL prices its argument region, then its return region; and
RETURNDATACOPY past the end of the return data is ``ReturnDataOutOfBounds`` before its region is
priced (the spec prices first: both are exceptional halts).

What the spec cannot express, the hello says it lacks (the harness declines those cases): a
pricing other than mainnet's, a memory limit, an initial capacity.

A deliberately wrong variant for the harness's self-test: ``EVM_MEMORY_SPEC_BUG=calldata-pad``
makes CALLDATACOPY skip the zero-fill past the end of calldata.

The module also serves ``replay_vectors.py``: ``SpecMachine`` runs a case op by op.
"""

import json
import os
import sys

FORK = "osaka"

from ethereum.forks.osaka.vm.gas import (  # noqa: E402
    calculate_gas_extend_memory,
    max_message_call_gas,
)
from ethereum.forks.osaka.vm.interpreter import STACK_DEPTH_LIMIT  # noqa: E402
from ethereum.forks.osaka.vm.memory import (  # noqa: E402
    buffer_read,
    memory_read_bytes,
    memory_write,
)
from ethereum_types.numeric import U256, Uint  # noqa: E402

PROTOCOL = 1
MAX_OPERAND = (1 << 64) - 1
LIMIT = 1 << 32
MAINNET = {"word_cost": 3, "quadratic_denominator": 512}
BUG = os.environ.get("EVM_MEMORY_SPEC_BUG", "")


def package_version():
    try:
        from importlib.metadata import version

        return version("ethereum-execution")
    except Exception:  # pragma: no cover - any failure only loses the version text
        return "unknown"


class Halt(Exception):
    """An exceptional halt, with the op model's outcome name."""

    def __init__(self, outcome):
        super().__init__(outcome)
        self.outcome = outcome


class Frame:
    __slots__ = ("memory", "gas", "calldata", "return_data", "ret_offset", "ret_len")

    def __init__(self, gas, calldata):
        self.memory = bytearray()
        self.gas = gas
        self.calldata = calldata
        self.return_data = b""
        self.ret_offset = 0
        self.ret_len = 0


def operand(value):
    if value > MAX_OPERAND:
        raise Halt("InvalidOperand")
    return value


class SpecMachine:
    """Runs one case op by op; ``step`` returns the observation as a dict."""

    def __init__(self, case):
        self.code = bytes.fromhex(case["code"][2:])
        root = Frame(int(case["gas"]), bytes.fromhex(case["calldata"][2:]))
        self.frames = [root]
        self.total = 0
        self.ended = False
        self.ops = case["ops"]

    # -- memory, through the package ------------------------------------------------------

    def expand(self, offset, size, also=None):
        """Prices and grows the current frame over [offset, offset + size) (size > 0, both
        checked operands), and over [also, also + size) when given, as the package's
        instructions do."""
        frame = self.frames[-1]
        # The op model's bound on the shared buffer (4 GiB: smaller limits are declined),
        # checked before pricing; in the spec such a growth is an out-of-gas.
        end = max(offset, offset if also is None else also) + size
        words = (end + 31) // 32
        if words * 32 > len(frame.memory):
            below = self.total - len(frame.memory)
            if below + words * 32 > LIMIT:
                raise Halt("Limit")
        regions = [(U256(offset), U256(size))]
        if also is not None:
            regions.append((U256(also), U256(size)))
        ext = calculate_gas_extend_memory(frame.memory, regions)
        cost = int(ext.cost)
        if cost > frame.gas:
            raise Halt("OutOfGas")
        frame.gas -= cost
        grow = int(ext.expand_by)
        if grow:
            frame.memory += b"\x00" * grow
            self.total += grow
        return cost

    def region(self, offset, size):
        """The op model's operand checks, then ``expand``; returns the gas charged."""
        size = operand(size)
        if size == 0:
            return 0
        return self.expand(operand(offset), size)

    # -- ops --------------------------------------------------------------------------------

    def run(self, op):
        """Runs one op in the current frame; returns (gas charged, output, outcome)."""
        name = op["op"]
        frame = self.frames[-1]
        h = lambda field: int(op[field], 16)  # noqa: E731
        if name == "MSTORE":
            start = h("offset")
            gas = self.region(start, 32)
            memory_write(frame.memory, U256(start), U256(h("value")).to_be_bytes32())
            return gas, None, "Ok"
        if name == "MSTORE8":
            start = h("offset")
            gas = self.region(start, 1)
            memory_write(frame.memory, U256(start), bytes([int(op["value"]) & 0xFF]))
            return gas, None, "Ok"
        if name == "MLOAD":
            start = h("offset")
            gas = self.region(start, 32)
            word = memory_read_bytes(frame.memory, U256(start), U256(32))
            return gas, {"word": "0x" + bytes(word).hex()}, "Ok"
        if name == "MSIZE":
            return 0, {"size": len(frame.memory)}, "Ok"
        if name == "MCOPY":
            length = operand(h("len"))
            if length == 0:
                return 0, None, "Ok"
            dst, src = operand(h("dst")), operand(h("src"))
            gas = self.expand(src, length, also=dst)
            value = memory_read_bytes(frame.memory, U256(src), U256(length))
            memory_write(frame.memory, U256(dst), value)
            return gas, None, "Ok"
        if name in ("CALLDATACOPY", "CODECOPY"):
            data = frame.calldata if name == "CALLDATACOPY" else self.code
            mem, start, size = h("mem_offset"), h("data_offset"), h("len")
            gas = self.region(mem, size)
            if size:
                if BUG == "calldata-pad" and name == "CALLDATACOPY":
                    value = bytes(data[start : start + size])
                else:
                    value = buffer_read(data, U256(start), U256(size))
                memory_write(frame.memory, U256(mem), value)
            return gas, None, "Ok"
        if name == "RETURNDATACOPY":
            mem, start, size = h("mem_offset"), h("data_offset"), h("len")
            operand(size)
            if start + size > len(frame.return_data):
                raise Halt("ReturnDataOutOfBounds")
            gas = self.region(mem, size)
            if size:
                value = frame.return_data[start : start + size]
                memory_write(frame.memory, U256(mem), value)
            return gas, None, "Ok"
        if name in ("KECCAK256", "RETURN", "REVERT"):
            start, size = h("offset"), h("len")
            gas = self.region(start, size)
            data = memory_read_bytes(frame.memory, U256(start), U256(size)) if size else b""
            outcome = {"KECCAK256": "Ok", "RETURN": "Returned", "REVERT": "Reverted"}[name]
            return gas, {"bytes": "0x" + bytes(data).hex()}, outcome
        if name == "CALL":
            return self.call(op, frame)
        if name == "INVALID":
            raise Halt("Halted")
        raise ValueError("unknown op " + repr(name))

    def call(self, op, frame):
        h = lambda field: int(op[field], 16)  # noqa: E731
        args_offset, args_len = h("args_offset"), h("args_len")
        ret_offset, ret_len = h("ret_offset"), h("ret_len")
        gas = self.region(args_offset, args_len)
        gas += self.region(ret_offset, ret_len)
        frame.return_data = b""
        if Uint(len(self.frames) - 1) + Uint(1) > STACK_DEPTH_LIMIT:
            return gas, None, "CallDepth"
        child_gas = min(int(op["gas"]), int(max_message_call_gas(Uint(frame.gas))))
        frame.gas -= child_gas
        calldata = (
            memory_read_bytes(frame.memory, U256(args_offset), U256(args_len))
            if args_len
            else b""
        )
        child = Frame(child_gas, bytes(calldata))
        child.ret_offset, child.ret_len = ret_offset, ret_len
        self.frames.append(child)
        return gas, None, "Ok"

    def end_child(self, output, obs):
        """Ends the current child; ``output`` is None after an exceptional halt."""
        child = self.frames.pop()
        obs["ended_frame"] = "0x" + bytes(child.memory).hex()
        self.total -= len(child.memory)
        caller = self.frames[-1]
        caller.return_data = b"" if output is None else bytes(output)
        if output is not None:
            caller.gas += child.gas
            n = min(child.ret_len, len(output))
            if n:
                memory_write(caller.memory, U256(child.ret_offset), bytes(output[:n]))

    def step(self, op):
        obs = {"output": None, "gas_charged": 0, "ended_frame": None}
        is_root = len(self.frames) == 1
        try:
            charged, output, outcome = self.run(op)
        except Halt as halt:
            obs["outcome"] = halt.outcome
            if is_root:
                self.ended = True
                self.frames[0].gas = 0
            else:
                self.end_child(None, obs)
        else:
            obs["outcome"] = outcome
            obs["gas_charged"] = charged
            obs["output"] = output
            if outcome in ("Returned", "Reverted"):
                if is_root:
                    self.ended = True
                else:
                    self.end_child(bytes.fromhex(output["bytes"][2:]), obs)
        obs["ended"] = self.ended
        obs["gas_remaining"] = self.frames[-1].gas
        obs["frames"] = len(self.frames)
        obs["size"] = len(self.frames[-1].memory)
        obs["total_size"] = self.total
        return obs

    def sizes(self):
        return [len(f.memory) for f in self.frames]

    def frame_bytes(self, frame, start, end):
        if frame >= len(self.frames):
            return None
        return bytes(self.frames[frame].memory[start:end])


def declines(case):
    """Why the spec cannot run ``case`` (None: it can). The hello already tells the harness;
    this is for the vector replayer."""
    if case["pricing"] != MAINNET:
        return "pricing other than mainnet's"
    if case["limit"] < LIMIT:
        return "memory limit below 4 GiB"
    if case["capacity"] != "reuse":
        return "initial capacity"
    return None


def serve(stdin, stdout):
    hello = {
        "protocol": PROTOCOL,
        "engine": "spec",
        "version": "ethereum-execution %s (%s)%s"
        % (package_version(), FORK, " BUG=" + BUG if BUG else ""),
        "capabilities": {"pricing": False, "limit": False, "capacity": False},
    }
    write = stdout.write
    write(json.dumps(hello) + "\n")
    stdout.flush()
    machine = None
    loads, dumps = json.loads, json.dumps
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = loads(line)
            if "case" in request:
                machine = SpecMachine(request["case"])
                continue
            if machine is None:
                reply = {"error": "a request before any case"}
            elif "step" in request:
                op = request.get("op") or machine.ops[request["step"]]
                reply = machine.step(op)
            elif "sizes" in request:
                reply = {"sizes": machine.sizes()}
            elif "bytes" in request:
                frame, start, end = request["bytes"]
                data = machine.frame_bytes(frame, start, end)
                reply = {"bytes": None if data is None else "0x" + data.hex()}
            else:
                reply = {"error": "unknown request"}
        except Exception as e:  # every failure is a reply, never a silent death
            reply = {"error": "%s: %s" % (type(e).__name__, e)}
        write(dumps(reply) + "\n")
        stdout.flush()


if __name__ == "__main__":
    serve(sys.stdin, sys.stdout)
