"""Runs a candidate's notebook top to bottom for assay's notebook phases.

Two halves, in two users, in one container without a network:
  kernel CONNECTION  the candidate's half (assay's service user): waits for the connection
                     file the grader's half writes, then runs an IPython kernel on it.
  run NOTEBOOK OUT --cell-timeout S --deadline S
                     the grader's half (a user the kernel cannot signal or write as): sends
                     each code cell to that kernel with nbclient and writes the executed
                     notebook to OUT, which only this user can write.

A cell that runs past its timeout, or a kernel that dies, ends the run: that cell gets an
error output saying so, the cells after it are marked as not run, and OUT is still written.
"""

import asyncio
import json
import os
import secrets
import socket
import sys
import time
import warnings

CONNECTION = "/tmp/assay-kernel.json"


def kernel(connection):
    # The kernel rewrites its connection file, which it may not do to the grader's: it runs on
    # a copy of its own.
    while not os.path.exists(connection):
        time.sleep(0.02)
    with open(connection) as f:
        info = json.load(f)
    own = os.path.join("/tmp", "assay-kernel-%d.json" % os.getpid())
    with open(own, "w") as f:
        json.dump(info, f)
    for name, value in (("IPYTHONDIR", "/tmp/.ipython"), ("MPLCONFIGDIR", "/tmp/.matplotlib"),
                        ("JUPYTER_RUNTIME_DIR", "/tmp/.jupyter"), ("PYDEVD_DISABLE_FILE_VALIDATION", "1")):
        os.environ.setdefault(name, value)
    sys.path.insert(0, "")
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(argv=["-f", own])


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def write_connection():
    shell, iopub, stdin, control, hb = free_ports(5)
    info = {
        "shell_port": shell, "iopub_port": iopub, "stdin_port": stdin,
        "control_port": control, "hb_port": hb, "ip": "127.0.0.1",
        "key": secrets.token_hex(32), "transport": "tcp",
        "signature_scheme": "hmac-sha256", "kernel_name": "python3",
    }
    temp = CONNECTION + ".writing"
    with open(temp, "w") as f:
        json.dump(info, f)
    os.chmod(temp, 0o644)
    os.replace(temp, CONNECTION)


def error_output(name, value):
    import nbformat
    return nbformat.v4.new_output("error", ename=name, evalue=value, traceback=[name + ": " + value])


async def execute(notebook_path, out, cell_timeout, deadline):
    import nbformat
    from jupyter_client.asynchronous import AsyncKernelClient
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cells without ids, an old minor version: still read
        nb = nbformat.read(notebook_path, as_version=4)
    write_connection()
    kc = AsyncKernelClient()
    kc.load_connection_file(CONNECTION)
    # The heartbeat starts once the kernel answers: before that, a kernel still importing
    # IPython would look dead.
    kc.start_channels(hb=False)
    await kc.wait_for_ready(timeout=max(1, deadline - time.monotonic()))
    kc.hb_channel.start()
    client = NotebookClient(nb, timeout=int(cell_timeout), allow_errors=True, kernel_name="python3",
                            record_timing=False)
    client.kc = kc
    client.reset_execution_trackers()
    stopped = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if stopped is not None:
            cell.outputs = []
            cell.metadata["assay"] = {"not_run": stopped}
            continue
        remaining = deadline - time.monotonic()
        if remaining < 1:
            stopped = "the notebook ran out of time before this cell"
            cell.outputs = [error_output("NotebookTimeout", stopped)]
            continue
        client.timeout = int(min(cell_timeout, remaining)) or 1
        try:
            await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        except CellTimeoutError:
            stopped = "an earlier cell timed out"
            cell.outputs.append(error_output("CellTimeout", "the cell ran longer than %d s" % client.timeout))
        except DeadKernelError:
            stopped = "the kernel died in an earlier cell"
            cell.outputs.append(error_output("DeadKernel", "the kernel died while running this cell"))
    temp = out + ".writing"
    nbformat.write(nb, temp)
    os.replace(temp, out)
    kc.stop_channels()


def main(argv):
    if len(argv) == 2 and argv[0] == "kernel":
        kernel(argv[1])
        return 0
    if len(argv) == 7 and argv[0] == "run" and argv[3] == "--cell-timeout" and argv[5] == "--deadline":
        deadline = time.monotonic() + float(argv[6])
        try:
            asyncio.run(execute(argv[1], argv[2], float(argv[4]), deadline))
        except FileNotFoundError:
            print("the submission holds no notebook at %s" % argv[1], file=sys.stderr)
            return 3
        except (ValueError, KeyError) as error:
            print("%s is not a notebook assay can read: %s" % (argv[1], error), file=sys.stderr)
            return 3
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
