package sandbox_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/internal/filled"
)

func TestCapture(t *testing.T) {
	cases := []struct {
		name   string
		max    int
		writes []string
		want   string
		total  int64
	}{
		{"empty", 8, nil, "", 0},
		{"fits", 8, []string{"abc", "de"}, "abcde", 5},
		{"exactly full", 8, []string{"abcdefgh"}, "abcdefgh", 8},
		{"elided one write", 8, []string{"0123456789"}, "0123\n[... 2 bytes elided ...]\n6789", 10},
		{"elided many writes", 8, []string{"01", "23", "45", "67", "89", "ab"}, "0123\n[... 4 bytes elided ...]\n89ab", 12},
		{"head ends with newline", 8, []string{"012\n", "xxxxxx", "wxyz"}, "012\n[... 6 bytes elided ...]\nwxyz", 14},
		{"tail wraps", 6, []string{"abc", "defg", "hij", "k"}, "abc\n[... 5 bytes elided ...]\nijk", 11},
		{"zero keeps nothing", 0, []string{"abc"}, "[... 3 bytes elided ...]\n", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := sandbox.NewCapture(c.max)
			for _, w := range c.writes {
				if n, err := cp.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if got := cp.String(); got != c.want || cp.Total() != c.total {
				t.Fatalf("got %q (total %d), want %q (total %d)", got, cp.Total(), c.want, c.total)
			}
		})
	}
}

// FuzzCapture checks that the kept text is the input when it fits, and
// otherwise its exact head and tail around one marker.
func FuzzCapture(f *testing.F) {
	f.Add(10, []byte("hello world, this is output"), 3)
	f.Add(1, []byte("ab"), 1)
	f.Add(4096, []byte{}, 7)
	f.Fuzz(func(t *testing.T, max int, data []byte, chunk int) {
		if max < 0 || max > 1<<16 || chunk <= 0 {
			return
		}
		// ASCII keeps the UTF-8 repair out of the comparison.
		for i := range data {
			data[i] = 'a' + data[i]%26
		}
		cp := sandbox.NewCapture(max)
		for rest := data; len(rest) > 0; {
			n := min(chunk, len(rest))
			cp.Write(rest[:n])
			rest = rest[n:]
		}
		got := cp.String()
		if len(data) <= max {
			if got != string(data) {
				t.Fatalf("fits: got %q want %q", got, data)
			}
			return
		}
		h := max / 2
		head, tail := string(data[:h]), string(data[len(data)-(max-h):])
		if !strings.HasPrefix(got, head) || !strings.HasSuffix(got, tail) || !strings.Contains(got, " bytes elided ...]") {
			t.Fatalf("got %q for head %q tail %q", got, head, tail)
		}
	})
}

func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"OPENAI_API_KEY": true, "ANTHROPIC_BASE_URL": true, "GITHUB_TOKEN": true, "HF_TOKEN": true,
		"AWS_ACCESS_KEY_ID": true, "DB_PASSWORD": true, "MY_SECRET": true, "GOOGLE_APPLICATION_CREDENTIALS": true,
		"PATH": false, "LANG": false, "HOME": false, "OMP_NUM_THREADS": false, "CUDA_VISIBLE_DEVICES": false, "TMPDIR": false,
	} {
		if got := sandbox.IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%s) = %v, want %v", name, got, want)
		}
	}
}

// TestEveryExecKeyReachesTheSandbox: each exec.* key that OptionsFromConfig
// reads changes the options (a dropped exec.network or exec.memory would
// run generated code with other limits than the user set, silently). The
// keys it leaves to others are named: sandbox and apptainer (New), cpus
// and gpus (the executor's slots).
func TestEveryExecKeyReachesTheSandbox(t *testing.T) {
	elsewhere := map[string]bool{"Sandbox": true, "Apptainer": true, "CPUs": true, "GPUs": true}
	valid := map[string]func(*configs.Exec){ // keys whose filled value would not parse
		"Memory": func(c *configs.Exec) { c.Memory = "2G" },
		"Disk":   func(c *configs.Exec) { c.Disk = "3G" },
		"Binds":  func(c *configs.Exec) { c.Binds = []string{"/opt"} },
	}
	unset, err := sandbox.OptionsFromConfig(configs.Exec{})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range filled.Fields(&configs.Exec{}) {
		if elsewhere[key] {
			continue
		}
		var c configs.Exec
		if err := filled.One(&c, key); err != nil {
			t.Fatal(err)
		}
		if fix := valid[key]; fix != nil {
			fix(&c)
		}
		o, err := sandbox.OptionsFromConfig(c)
		if err != nil {
			t.Fatalf("exec.%s: %v", key, err)
		}
		if reflect.DeepEqual(o, unset) {
			t.Errorf("exec.%s does not reach the sandbox options", key)
		}
	}
}

func TestOptionsFromConfig(t *testing.T) {
	base := func() configs.Exec {
		return configs.Exec{Sandbox: "process", Timeout: time.Minute, Python: "python3", Memory: "2G", MaxProcs: 64,
			EnvAllow: []string{"PATH"}, OutputMax: 100, KillGrace: time.Second}
	}
	o, err := sandbox.OptionsFromConfig(base())
	if err != nil {
		t.Fatal(err)
	}
	if o.Memory != 2<<30 || o.Grace != time.Second || o.MaxProcs != 64 || o.OutputMax != 100 {
		t.Fatalf("options %+v", o)
	}
	cases := []struct {
		name  string
		edit  func(*configs.Exec)
		field string
	}{
		{"secret in allow-list", func(c *configs.Exec) { c.EnvAllow = append(c.EnvAllow, "OPENAI_API_KEY") }, "exec.env_allow"},
		{"bad memory", func(c *configs.Exec) { c.Memory = "lots" }, "exec.memory"},
		{"negative grace", func(c *configs.Exec) { c.KillGrace = -time.Second }, "exec.kill_grace"},
		{"relative bind", func(c *configs.Exec) { c.Binds = []string{"opt"} }, "exec.binds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base()
			c.edit(&cfg)
			_, err := sandbox.OptionsFromConfig(cfg)
			var fe *configs.FieldError
			if !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("want a FieldError on %s, got %v", c.field, err)
			}
		})
	}
}

func TestNewPicksBackend(t *testing.T) {
	needPython(t)
	cfg := configs.Exec{Timeout: time.Minute, Python: python}
	for _, c := range []struct{ sandbox, want string }{{"process", "process"}, {"auto", ""}, {"bwrap", "bwrap"}} {
		t.Run(c.sandbox, func(t *testing.T) {
			cfg.Sandbox = c.sandbox
			e, err := sandbox.New(cfg, io.Discard)
			if c.sandbox == "bwrap" && errors.Is(err, sandbox.ErrUnavailable) {
				t.Skipf("bubblewrap is not usable here: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			got := e.Info().Backend
			if c.want != "" && got != c.want {
				t.Fatalf("backend %s, want %s", got, c.want)
			}
			if c.sandbox == "auto" {
				// No apptainer here: bwrap when it works, else process.
				b, berr := sandbox.NewBwrap(sandbox.Options{Python: python, Warn: io.Discard}, "")
				if berr == nil {
					b.Close()
				}
				if want := map[bool]string{true: "bwrap", false: "process"}[berr == nil]; got != want {
					t.Fatalf("auto picked %s, want %s (bwrap: %v)", got, want, berr)
				}
			}
		})
	}
	cfg.Sandbox = "docker"
	var fe *configs.FieldError
	if _, err := sandbox.New(cfg, io.Discard); !errors.As(err, &fe) {
		t.Fatalf("unknown sandbox: want a FieldError, got %v", err)
	}
}

func TestSlots(t *testing.T) {
	cases := []struct {
		name    string
		workers int
		gpus    []string
		want    [][]string
	}{
		{"no gpus", 2, nil, [][]string{{}, {}}},
		{"split evenly", 2, []string{"0", "1", "2", "3"}, [][]string{{"0", "1"}, {"2", "3"}}},
		{"split unevenly", 2, []string{"0", "1", "2"}, [][]string{{"0", "1"}, {"2"}}},
		{"share", 3, []string{"0", "1"}, [][]string{{"0"}, {"1"}, {"0"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			slots, err := sandbox.Slots(c.workers, 0, c.gpus)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range slots {
				if s.Index != i || s.CPUs != nil || !slices.Equal(s.GPUs, c.want[i]) || s.GPUs == nil {
					t.Fatalf("slot %d = %+v, want GPUs %v", i, s, c.want[i])
				}
			}
		})
	}
	if _, err := sandbox.Slots(runtime.NumCPU()+1, 1, nil); err == nil {
		t.Fatal("more pinned CPUs than exist must be refused")
	}
	slots, err := sandbox.Slots(1, 1, nil)
	if err != nil || len(slots[0].CPUs) != 1 {
		t.Fatalf("one pinned CPU: %+v, %v", slots, err)
	}
}

func TestParseGPUs(t *testing.T) {
	if g, err := sandbox.ParseGPUs(""); err != nil || g == nil || len(g) != 0 {
		t.Fatalf("empty: %v %v", g, err)
	}
	if g, err := sandbox.ParseGPUs("0, 2"); err != nil || !slices.Equal(g, []string{"0", "2"}) {
		t.Fatalf("list: %v %v", g, err)
	}
	if _, err := sandbox.ParseGPUs("0,x"); err == nil {
		t.Fatal("a non-index must be refused")
	}
	t.Setenv("CUDA_VISIBLE_DEVICES", "3,5")
	if g, err := sandbox.ParseGPUs("auto"); err != nil || !slices.Equal(g, []string{"3", "5"}) {
		t.Fatalf("auto: %v %v", g, err)
	}
}

func TestStalePrivateTmpIsSwept(t *testing.T) {
	needPython(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	// A pid that cannot be alive: above the kernel's limit.
	stale := filepath.Join(tmp, "mlbench-tmp-99999999-123")
	live := filepath.Join(tmp, "mlbench-tmp-"+strconv.Itoa(os.Getppid())+"-456")
	for _, d := range []string{stale, live} {
		if err := os.MkdirAll(filepath.Join(d, "leftover"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p, err := sandbox.NewProcess(sandbox.Options{Python: python, Warn: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the private /tmp of a dead process was kept: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Fatalf("the private /tmp of a live process was removed: %v", err)
	}
}
