package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// ProbeMarker starts the line of ProbeCode's output that carries the JSON
// Environment.
const ProbeMarker = "mlbench-env="

// ProbeCode is Python that reports what a sandbox really offers generated
// code: the interpreter, the versions of the ML packages that are
// installed (from package metadata, without importing them), the NVIDIA
// devices visible, what nvidia-smi says inside, and whether torch sees
// CUDA. It prints one line, ProbeMarker followed by JSON (see
// Environment); it never fails for a missing package or tool.
var ProbeCode = `import json, os, platform, subprocess, sys
env = {"python": platform.python_version(), "packages": {}, "devices": [], "gpus": []}
try:
    from importlib import metadata
except ImportError:
    metadata = None
for name in ` + probePackagesPy + `:
    try:
        env["packages"][name] = metadata.version(name)
    except Exception:
        pass
try:
    env["devices"] = sorted(d for d in os.listdir("/dev") if d.startswith("nvidia"))
except Exception:
    pass
try:
    out = subprocess.run(["nvidia-smi", "--query-gpu=index,uuid,name,memory.total", "--format=csv,noheader,nounits"],
                         capture_output=True, text=True, timeout=20)
    env["nvidia_smi"] = out.stdout.strip() if out.returncode == 0 else ("error: " + (out.stdout + out.stderr).strip()[:300])
except Exception as e:
    env["nvidia_smi"] = "unavailable: " + type(e).__name__
if "torch" in env["packages"]:
    try:
        import torch
        env["torch_cuda"] = bool(torch.cuda.is_available())
        if env["torch_cuda"]:
            env["torch_devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception as e:
        env["torch_error"] = (type(e).__name__ + ": " + str(e))[:300]
print("` + ProbeMarker + `" + json.dumps(env, sort_keys=True))
`

// ProbePackages are the distributions the probe looks for: what MLE-Bench's
// agent image and the configs/ node image install.
var ProbePackages = []string{
	"numpy", "pandas", "scipy", "scikit-learn", "lightgbm", "xgboost", "catboost",
	"torch", "torchvision", "torchaudio", "timm", "transformers", "tokenizers", "datasets",
	"accelerate", "sentence-transformers", "segmentation-models-pytorch", "albumentations",
	"opencv-python", "opencv-python-headless", "pillow", "scikit-image", "librosa", "soundfile",
	"tensorflow", "keras", "jax", "statsmodels", "optuna", "polars", "pyarrow", "nltk", "spacy",
	"gensim", "matplotlib", "seaborn", "joblib", "tqdm",
}

var probePackagesPy = func() string {
	b, _ := json.Marshal(ProbePackages)
	return string(b)
}()

// Environment is what ProbeCode found in a sandbox.
type Environment struct {
	Python string `json:"python"`
	// Packages maps installed distribution names to versions.
	Packages map[string]string `json:"packages"`
	// Devices are the /dev/nvidia* entries visible inside.
	Devices []string `json:"devices"`
	// NvidiaSMI is nvidia-smi's GPU query inside, or why it did not run.
	NvidiaSMI string `json:"nvidia_smi,omitempty"`
	// TorchCUDA is torch.cuda.is_available(), nil when torch is absent.
	TorchCUDA    *bool    `json:"torch_cuda,omitempty"`
	TorchDevices []string `json:"torch_devices,omitempty"`
	TorchError   string   `json:"torch_error,omitempty"`
}

// ParseProbe finds the probe's line in a run's stdout.
func ParseProbe(stdout string) (Environment, error) {
	for _, line := range strings.Split(stdout, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), ProbeMarker); ok {
			var env Environment
			if err := json.Unmarshal([]byte(rest), &env); err != nil {
				return Environment{}, fmt.Errorf("parse environment probe: %w", err)
			}
			return env, nil
		}
	}
	return Environment{}, fmt.Errorf("parse environment probe: no %q line in its output", ProbeMarker)
}

// Has reports whether the distribution is installed.
func (e Environment) Has(dist string) bool {
	_, ok := e.Packages[dist]
	return ok
}

// PackageList renders the installed packages as sorted "name version"
// strings, for prompts.
func (e Environment) PackageList() []string {
	out := make([]string, 0, len(e.Packages))
	for _, k := range slices.Sorted(maps.Keys(e.Packages)) {
		out = append(out, k+" "+e.Packages[k])
	}
	return out
}

// GPUs parses NvidiaSMI's rows (empty when it did not run).
func (e Environment) GPUs() []GPU { return parseSMI(e.NvidiaSMI) }

// Accelerators says in one line what accelerators the sandbox sees:
// "2 GPUs (NVIDIA H100 80GB HBM3, 81559 MiB; ...), torch CUDA yes" or "no
// GPU".
func (e Environment) Accelerators() string {
	gpus := e.GPUs()
	if len(gpus) == 0 && len(e.TorchDevices) == 0 {
		return "no GPU"
	}
	var names []string
	for _, g := range gpus {
		names = append(names, g.String())
	}
	s := fmt.Sprintf("%d GPUs (%s)", len(gpus), strings.Join(names, "; "))
	if len(gpus) == 0 {
		s = fmt.Sprintf("%d GPUs (%s)", len(e.TorchDevices), strings.Join(e.TorchDevices, "; "))
	}
	if e.TorchCUDA != nil {
		s += ", torch CUDA " + map[bool]string{true: "yes", false: "no"}[*e.TorchCUDA]
	}
	return s
}
