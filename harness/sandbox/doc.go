// Package sandbox runs untrusted, model-written Python under isolation and
// limits, and reports what happened as data.
//
// Three backends implement Executor:
//
//   - Apptainer: `apptainer exec --containall --cleanenv --no-home` with the
//     public data bound read-only; the standard on HPC clusters.
//   - Bwrap: bubblewrap with new user, pid, network, ipc, uts and cgroup
//     namespaces, the host's system directories read-only, a private /tmp,
//     --die-with-parent and --new-session.
//   - Process: a plain child process in its own process group with rlimits
//     and a cleared environment. It cannot hide files or block the network;
//     it warns loudly when constructed.
//
// New builds the backend named by configs.Exec.Sandbox; "auto" picks
// apptainer (when on PATH and an image is set), else bwrap (when a probe
// sandbox starts), else process.
//
// # Layout inside the sandbox
//
// Apptainer and bwrap show the same fixed paths (see Paths): the public data
// read-only at /home/data, the working directory (the current directory)
// read-write at /home/work, the submission directory read-write at
// /home/submission, and a private /tmp. Nothing else of the host's file
// tree is visible except the system directories. The process backend runs
// on the real paths. Every backend exports the paths as MLBENCH_DATA_DIR,
// MLBENCH_WORK_DIR and MLBENCH_SUBMISSION_DIR, so code that reads them runs
// unchanged everywhere.
//
// # Limits
//
// Memory (RLIMIT_AS, or RLIMIT_DATA when GPUs are assigned because CUDA
// reserves huge address ranges), processes (RLIMIT_NPROC, counted per user
// namespace under bwrap) and CPU affinity are applied to the sandbox's first
// process while it is held before exec, so no user code ever runs
// unlimited. When running as root, whom the kernel exempts from
// RLIMIT_NPROC, each run also gets its own pids cgroup where one can be
// created (cgroup v1, or a v2 subtree with the pids controller enabled):
// that is what bounds processes for root.
//
// At the wall timeout every process of the run gets SIGTERM, then SIGKILL
// after the grace period; under bwrap killing the pid namespace's init
// takes every process of the run with it. Memory exhaustion is reported
// (Result.OOM, "killed: out of memory") from the allocation error the
// interpreter prints or from a SIGKILL nobody asked for (the OOM killer).
package sandbox
