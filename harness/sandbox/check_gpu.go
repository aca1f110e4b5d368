package sandbox

import (
	"fmt"
	"slices"
	"strings"
)

// gpuChecks run the environment probe with the GPUs the checks were given
// (CheckOptions.GPUs) and report three lines: the NVIDIA devices visible
// inside, nvidia-smi inside, and torch.cuda.is_available() when torch is
// installed. Without GPUs they are skipped, saying so.
func (c *checker) gpuChecks() []CheckResult {
	const devs, smi, torch = "gpu devices", "gpu nvidia-smi", "gpu torch"
	if len(c.gpus) == 0 {
		why := "no GPU assigned (exec.gpus found none here)"
		return []CheckResult{{devs, CheckSkip, why}, {smi, CheckSkip, why}, {torch, CheckSkip, why}}
	}
	res, bad := c.exec(devs, func(s *Spec) { s.Limits.GPUs = c.gpus; s.Timeout = 120e9 }, ProbeCode)
	if bad != nil {
		return []CheckResult{*bad}
	}
	env, err := ParseProbe(res.Stdout)
	if err != nil {
		return []CheckResult{{devs, CheckFail, fmt.Sprintf("probe %s: %v: %s", res.Status(), err, lastLine(res.Output))}}
	}
	out := make([]CheckResult, 0, 3)
	var numbered []string
	for _, d := range env.Devices {
		if strings.TrimLeft(strings.TrimPrefix(d, "nvidia"), "0123456789") == "" && d != "nvidia" {
			numbered = append(numbered, "/dev/"+d)
		}
	}
	out = append(out, verdict(devs, len(numbered) > 0 && slices.Contains(env.Devices, "nvidiactl"),
		fmt.Sprintf("CUDA_VISIBLE_DEVICES=%s; visible: /dev/%s", strings.Join(c.gpus, ","), strings.Join(env.Devices, " /dev/")),
		fmt.Sprintf("GPUs %s assigned but the sandbox shows no /dev/nvidiaN with /dev/nvidiactl (saw %v)", strings.Join(c.gpus, ","), env.Devices)))
	gpus := env.GPUs()
	var names []string
	for _, g := range gpus {
		names = append(names, g.String())
	}
	out = append(out, verdict(smi, len(gpus) > 0, fmt.Sprintf("%d GPUs: %s", len(gpus), strings.Join(names, "; ")),
		"nvidia-smi inside the sandbox: "+oneLine(env.NvidiaSMI)))
	switch {
	case env.TorchCUDA == nil && env.TorchError == "":
		out = append(out, CheckResult{torch, CheckSkip, "torch is not installed in the sandbox's Python"})
	case env.TorchCUDA == nil:
		out = append(out, CheckResult{torch, CheckFail, "import torch: " + env.TorchError})
	default:
		out = append(out, verdict(torch, *env.TorchCUDA,
			fmt.Sprintf("torch %s: torch.cuda.is_available() on %s", env.Packages["torch"], strings.Join(env.TorchDevices, "; ")),
			fmt.Sprintf("torch %s: torch.cuda.is_available() is False with GPUs %s assigned", env.Packages["torch"], strings.Join(c.gpus, ","))))
	}
	return out
}

// oneLine keeps the first line of s, at most 200 bytes.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(no output)"
	}
	return s
}
