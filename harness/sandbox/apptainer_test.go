package sandbox_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/harness/sandbox"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeApptainer records its argv and the APPTAINERENV_ variables it got in
// its working directory, which Run sets to the node's working directory.
const fakeApptainer = `#!/bin/sh
printf '%s\n' "$@" > argv.txt
env | grep -E '^(APPTAINERENV_|PATH=)' | sort > env.txt
echo "fake apptainer ran"
`

func TestApptainerCommand(t *testing.T) {
	cases := []struct {
		name   string
		opts   func(*sandbox.Options)
		app    sandbox.ApptainerOptions
		spec   func(task, *sandbox.Spec)
		script bool // run a script outside the working dir
	}{
		{
			name: "cpu",
			app:  sandbox.ApptainerOptions{Image: "/images/mlbench.sif", Network: "none"},
		},
		{
			name: "gpus",
			opts: func(o *sandbox.Options) {
				o.Memory = 16 << 30
				o.Binds = []string{"/opt/site"}
			},
			app: sandbox.ApptainerOptions{Image: "/images/mlbench.sif", Network: "none", ExtraArgs: []string{"--bind", "/scratch:/scratch"}},
			spec: func(_ task, s *sandbox.Spec) {
				s.Limits.GPUs = []string{"0", "1"}
				s.Limits.CPUs = []int{0}
				s.Args = []string{"--fold", "3"}
				s.Env = map[string]string{"SEED": "7"}
			},
			script: true,
		},
		{
			name: "external-agent",
			opts: func(o *sandbox.Options) { o.Forwarder = "/opt/mlbench/bin/mlbench" },
			app:  sandbox.ApptainerOptions{Image: "/images/aide.sif", Network: "none"},
			spec: func(tk task, s *sandbox.Spec) {
				s.Code = ""
				s.Command = []string{"/bin/sh", "/home/agent/start.sh"}
				s.Mounts = []sandbox.Mount{{Host: tk.work, Inside: "/home/logs", Writable: true}, {Host: tk.public, Inside: "/home/instructions.txt"}}
				s.Forwards = []sandbox.Forward{{Listen: "127.0.0.1:5000", Socket: "/tmp/s/v.sock"}, {Listen: "127.0.0.1:3128", Socket: "/tmp/s/p.sock"}}
				s.Env = map[string]string{"COMPETITION_ID": "demo"}
				s.Secrets = map[string]string{"OPENAI_API_KEY": "sk-agent"}
			},
		},
		{
			name: "host-network",
			opts: func(o *sandbox.Options) { o.Network = true },
			app:  sandbox.ApptainerOptions{Image: "/images/sandbox-dir", Network: "none"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "apptainer")
			writeFile(t, bin, fakeApptainer)
			if err := os.Chmod(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			o := testOptions()
			o.Python = "python3"
			o.Environ = func() []string {
				return []string{"LANG=C.UTF-8", "OPENAI_API_KEY=sk-x", "PATH=/host/bin", "HOME=/root"}
			}
			if c.opts != nil {
				c.opts(&o)
			}
			c.app.Binary = bin
			e, err := sandbox.NewApptainer(o, c.app)
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			task := newTask(t)
			spec := task.spec("print(1)")
			spec.TmpDir = t.TempDir()
			if c.script {
				spec.Code = ""
				spec.Script = filepath.Join(t.TempDir(), "solution.py")
				writeFile(t, spec.Script, "print(1)")
			}
			if c.spec != nil {
				c.spec(task, &spec)
			}
			res := run(t, e, spec)
			if !res.OK() || res.Stdout != "fake apptainer ran\n" {
				t.Fatalf("status %s; output:\n%s", res.Status(), res.Output)
			}
			argv, _ := os.ReadFile(filepath.Join(task.work, "argv.txt"))
			env, _ := os.ReadFile(filepath.Join(task.work, "env.txt"))
			got := "# argv\n" + string(argv) + "# env\n" + string(env)
			repl := []string{task.work, "$WORK", task.submission, "$SUBMISSION", task.public, "$DATA", spec.TmpDir, "$TMP", os.Getenv("PATH"), "$PATH"}
			if c.script {
				repl = append(repl, spec.Script, "$SCRIPT")
			}
			got = strings.NewReplacer(repl...).Replace(got)
			golden(t, got)
		})
	}
}

// golden compares got with testdata/<TestName>.golden, rewriting it with -update.
func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update if intended):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestApptainerRefuses(t *testing.T) {
	o := testOptions()
	if _, err := sandbox.NewApptainer(o, sandbox.ApptainerOptions{}); !errors.Is(err, sandbox.ErrUnavailable) {
		t.Fatalf("no image: want ErrUnavailable, got %v", err)
	}
	e, err := sandbox.NewApptainer(o, sandbox.ApptainerOptions{Binary: "/nonexistent/apptainer", Image: "/i.sif", Network: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	task := newTask(t)
	odd := filepath.Join(t.TempDir(), "a:b")
	if err := os.Mkdir(odd, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := task.spec("print(1)")
	spec.WorkDir = odd
	var se *sandbox.SpecError
	if _, err := e.Run(t.Context(), spec); !errors.As(err, &se) {
		t.Fatalf("a bind path with ':' must be refused, got %v", err)
	}
}
