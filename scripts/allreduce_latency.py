#!/usr/bin/env python3
"""What one small all-reduce costs on this machine in PyTorch's own Gloo, next to a TCP round
trip on the same loopback: the yardstick for gen's per-collective cost (docs/DATA_PARALLEL.md).

  .venv/bin/python3 scripts/allreduce_latency.py [ITERATIONS]   (default 2000; 2 ranks, 16 doubles)
"""
import os
import socket
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def rank_main(rank, port, n, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=2)
    t = torch.zeros(16, dtype=torch.float64)
    for _ in range(100):
        dist.all_reduce(t)
    start = time.perf_counter()
    for _ in range(n):
        dist.all_reduce(t)
    out[rank] = (time.perf_counter() - start) / n
    dist.destroy_process_group()


def tcp_round_trip(n):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        c = socket.create_connection(("127.0.0.1", port))
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(n):
            c.sendall(c.recv(64))
        os._exit(0)
    c, _ = server.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.perf_counter()
    for _ in range(n):
        c.sendall(b"x" * 16)
        c.recv(64)
    took = (time.perf_counter() - start) / n
    os.waitpid(pid, 0)
    return took


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = mp.Manager().dict()
    mp.spawn(rank_main, args=(port, n, out), nprocs=2)
    print(f"torch {torch.__version__}: Gloo all-reduce of 16 doubles, 2 ranks on 127.0.0.1: "
          f"{max(out.values()) * 1e6:.0f} us each ({n} in a row)")
    print(f"TCP round trip of 16 bytes on 127.0.0.1 (TCP_NODELAY): {tcp_round_trip(n) * 1e6:.0f} us")


if __name__ == "__main__":
    main()
