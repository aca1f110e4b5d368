package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// GPU is one accelerator as nvidia-smi describes it.
type GPU struct {
	// ID is how CUDA_VISIBLE_DEVICES names it (an index or a UUID).
	ID        string `json:"id"`
	UUID      string `json:"uuid,omitempty"`
	Name      string `json:"name,omitempty"`
	MemoryMiB int    `json:"memory_mib,omitempty"`
}

// String describes the GPU for a prompt: "NVIDIA A100-SXM4-80GB, 81920 MiB".
func (g GPU) String() string {
	name := cmp(g.Name, "GPU "+g.ID)
	if g.MemoryMiB > 0 {
		return fmt.Sprintf("%s, %d MiB", name, g.MemoryMiB)
	}
	return name
}

// nvidiaSMI is the binary GPU facts come from; tests put a fake one on PATH.
const nvidiaSMI = "nvidia-smi"

// smiTimeout bounds one nvidia-smi call: a hung driver must not hang a
// worker.
const smiTimeout = 20 * time.Second

// DetectGPUs lists the GPUs this process was given, in the order the first
// source that speaks decides:
//   - CUDA_VISIBLE_DEVICES when set (Slurm sets it for --gres=gpu; an empty
//     value or -1 means none);
//   - SLURM_JOB_GPUS / SLURM_STEP_GPUS inside a Slurm job, and none for a
//     job that has neither: an element without GPUs must not take the
//     node's other GPUs, which nvidia-smi may still list;
//   - `nvidia-smi -L` when nvidia-smi is on PATH (a machine without GPUs
//     lists none);
//   - the /dev/nvidiaN devices.
//
// On a CPU node every source is silent and the list is empty.
func DetectGPUs() []string {
	env := os.Getenv
	if v, ok := os.LookupEnv("CUDA_VISIBLE_DEVICES"); ok {
		return splitIDs(v)
	}
	for _, k := range []string{"SLURM_STEP_GPUS", "SLURM_JOB_GPUS"} {
		if v := env(k); v != "" {
			return splitIDs(v)
		}
	}
	if env("SLURM_JOB_ID") != "" {
		return []string{}
	}
	if smi, err := exec.LookPath(nvidiaSMI); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), smiTimeout)
		defer cancel()
		out, err := exec.CommandContext(ctx, smi, "-L").Output()
		if err != nil {
			return []string{} // "No devices were found" exits non-zero
		}
		ids := []string{}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "GPU ") {
				ids = append(ids, strconv.Itoa(len(ids)))
			}
		}
		return ids
	}
	devs, _ := filepath.Glob("/dev/nvidia[0-9]*")
	var ids []int
	for _, d := range devs {
		if n, err := strconv.Atoi(strings.TrimPrefix(d, "/dev/nvidia")); err == nil {
			ids = append(ids, n)
		}
	}
	slices.Sort(ids)
	out := []string{}
	for _, n := range ids {
		out = append(out, strconv.Itoa(n))
	}
	return out
}

// splitIDs reads a comma-separated device list; "-1" and "NoDevFiles"
// (what CUDA and Slurm write for none) mean none.
func splitIDs(v string) []string {
	out := []string{}
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" && f != "-1" && !strings.EqualFold(f, "NoDevFiles") {
			out = append(out, f)
		}
	}
	return out
}

// DescribeGPUs returns the facts nvidia-smi gives about the GPUs ids (as
// CUDA_VISIBLE_DEVICES names them). A GPU nvidia-smi does not list, or all
// of them when nvidia-smi is missing or fails, keeps only its ID; the error
// says why facts are missing and is for logs, never a reason to stop.
func DescribeGPUs(ctx context.Context, ids []string) ([]GPU, error) {
	out := make([]GPU, len(ids))
	for i, id := range ids {
		out[i] = GPU{ID: id}
	}
	if len(ids) == 0 {
		return out, nil
	}
	smi, err := exec.LookPath(nvidiaSMI)
	if err != nil {
		return out, fmt.Errorf("describe GPUs: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, smiTimeout)
	defer cancel()
	raw, err := exec.CommandContext(ctx, smi, "--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader,nounits").Output()
	if err != nil {
		return out, fmt.Errorf("describe GPUs: nvidia-smi: %w", err)
	}
	rows := parseSMI(string(raw))
	if len(rows) == 0 {
		return out, errors.New("describe GPUs: nvidia-smi listed no GPU")
	}
	for i, id := range ids {
		j := slices.IndexFunc(rows, func(g GPU) bool { return g.ID == id || g.UUID == id })
		if j < 0 && len(rows) == len(ids) {
			// A Slurm job whose devices are constrained sees its GPUs
			// renumbered; with one row per id, take them in order.
			j = i
		}
		if j >= 0 {
			g := rows[j]
			g.ID = id
			out[i] = g
		}
	}
	return out, nil
}

// parseSMI reads `nvidia-smi --query-gpu=index,uuid,name,memory.total
// --format=csv,noheader,nounits`; malformed lines are skipped.
func parseSMI(s string) []GPU {
	var rows []GPU
	for _, line := range strings.Split(s, "\n") {
		f := strings.Split(line, ",")
		if len(f) < 4 {
			continue
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		mem, _ := strconv.Atoi(f[len(f)-1])
		// A name may contain commas: it is everything between uuid and
		// memory.
		name := strings.Join(f[2:len(f)-1], ",")
		if f[0] == "" {
			continue
		}
		rows = append(rows, GPU{ID: f[0], UUID: f[1], Name: name, MemoryMiB: mem})
	}
	return rows
}
