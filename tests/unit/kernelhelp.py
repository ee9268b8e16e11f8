"""A real IPython kernel driven like a front end (execute cells, send widget comm messages).

Used by the live-plot and widget tests that need what only a kernel gives: display
handles, the kernel's event loop between cells, widget events arriving as messages.
One kernel per test process (started on first use, shut down at exit).
"""

from __future__ import annotations

import atexit
import os
import queue
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_KERNEL = None


class Kernel:
    def __init__(self):
        from jupyter_client.manager import start_new_kernel

        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        env.pop(_HEADLESS, None)  # each test sets what it needs inside the kernel
        self.km, self.kc = start_new_kernel(kernel_name="python3", startup_timeout=120, env=env, cwd=str(ROOT))

    def execute(self, code: str, timeout: float = 180) -> dict:
        """Run a cell; return its stdout, the iopub messages it produced, and its error if any."""
        msg_id = self.kc.execute(code)
        out, msgs, error = [], [], None
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"cell did not finish in {timeout} s:\n{code}") from None
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
            msgs.append(msg)
            if kind == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif kind == "error":
                error = "\n".join(msg["content"]["traceback"])
        self.kc.get_shell_msg(timeout=timeout)  # the execute_reply
        if error:
            raise AssertionError(f"kernel error:\n{error}")
        return {"stdout": "".join(out), "messages": msgs}

    def value(self, expr: str):
        """The value of a Python expression evaluated in the kernel (via repr → literal_eval)."""
        import ast
        return ast.literal_eval(self.execute(f"print(repr(({expr})))")["stdout"].strip())

    def click(self, comm_id: str) -> None:
        """What a browser sends when a Button widget is clicked."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id,
                                               "data": {"method": "custom", "content": {"event": "click"}}})
        self.kc.shell_channel.send(msg)

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


_HEADLESS = "KITLIB_HEADLESS"


def kernel() -> Kernel:
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = Kernel()
        atexit.register(_KERNEL.shutdown)
    return _KERNEL
