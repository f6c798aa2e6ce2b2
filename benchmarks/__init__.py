"""bibun's benchmark suite: each workload timed against PyTorch (and HIPS autograd and MyGrad
when installed) in one process, round by round. Run ``python -m benchmarks`` from the
repository root; docs/benchmarks.md records the results and the profile.

Nothing is imported here: thread counts must be pinned before NumPy is first imported,
which ``benchmarks.run.main`` does before it loads any workload."""
