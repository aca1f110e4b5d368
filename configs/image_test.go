package configs_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/harness/sandbox"
)

// defSections splits an Apptainer definition file into its header lines
// and its %sections.
func defSections(t *testing.T, path string) (header map[string]string, sections map[string]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, sections = map[string]string{}, map[string]string{}
	current := ""
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "%"):
			current = strings.Fields(trimmed)[0]
			if _, dup := sections[current]; dup {
				t.Errorf("section %s twice", current)
			}
			sections[current] = ""
		case current == "" && trimmed != "" && !strings.HasPrefix(trimmed, "#"):
			k, v, ok := strings.Cut(trimmed, ":")
			if !ok {
				t.Errorf("header line without a colon: %q", line)
			}
			header[strings.TrimSpace(k)] = strings.TrimSpace(v)
		case current != "":
			sections[current] += line + "\n"
		}
	}
	return header, sections
}

// TestNodeImageDefinition checks the structure of the node image recipe,
// since Apptainer cannot run here: a pinned public CUDA base, the Python
// ML stack pinned, mlbench copied in, and `mlbench sandbox check` at the
// end of the build.
func TestNodeImageDefinition(t *testing.T) {
	header, sec := defSections(t, "images/mlbench-gpu.def")
	if header["Bootstrap"] != "docker" {
		t.Errorf("Bootstrap %q, want docker", header["Bootstrap"])
	}
	base := regexp.MustCompile(`^nvidia/cuda:(\d+)\.(\d+)\.\d+-cudnn\d*-(runtime|devel)-ubuntu\d+\.\d+$`).FindStringSubmatch(header["From"])
	if base == nil {
		t.Fatalf("From %q: want a pinned public nvidia/cuda cudnn tag", header["From"])
	}
	for _, s := range []string{"%post", "%files", "%test", "%environment", "%help"} {
		if _, ok := sec[s]; !ok {
			t.Errorf("no %s section", s)
		}
	}
	if !strings.Contains(sec["%files"], "mlbench /usr/local/bin/mlbench") {
		t.Errorf("%%files does not copy the mlbench binary: %q", sec["%files"])
	}
	if !regexp.MustCompile(`(?m)^\s*mlbench sandbox check\b`).MatchString(sec["%test"]) {
		t.Errorf("%%test does not run mlbench sandbox check: %q", sec["%test"])
	}
	if !strings.Contains(sec["%post"], "bubblewrap") {
		t.Error("the post section does not install bubblewrap, the sandbox inside the container")
	}
	// Every pip requirement is pinned, the MLE-Bench stack is there, and the
	// environment probe reports each package.
	post := strings.ReplaceAll(sec["%post"], "\\\n", " ")
	pinned := map[string]string{}
	for _, line := range strings.Split(post, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 || f[0] != "python3" || f[1] != "-m" || f[2] != "pip" || f[3] != "install" {
			continue
		}
		for _, a := range f[4:] {
			if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "https://") {
				continue
			}
			name, version, ok := strings.Cut(a, "==")
			if !ok || version == "" {
				t.Errorf("pip requirement %q is not pinned (name==version)", a)
				continue
			}
			pinned[name] = version
		}
	}
	for _, want := range []string{"numpy", "pandas", "scikit-learn", "scipy", "lightgbm", "xgboost", "catboost", "torch", "torchvision", "torchaudio", "timm", "transformers"} {
		if pinned[want] == "" {
			t.Errorf("the image lacks %s", want)
		}
	}
	for name := range pinned {
		if name != "pip" && !slices.Contains(sandbox.ProbePackages, name) {
			t.Errorf("%s is installed but the environment probe (sandbox.ProbePackages) would not report it", name)
		}
	}
	// The torch wheels' CUDA matches the base image's.
	cu := "cu" + base[1] + base[2]
	if !strings.Contains(post, "download.pytorch.org/whl/"+cu) {
		t.Errorf("torch wheels are not the %s build of the %s base", cu, header["From"])
	}
}
