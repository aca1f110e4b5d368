package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness/sandbox"
)

// sandboxFlagKeys maps the sandbox commands' flags to their config keys.
var sandboxFlagKeys = map[string]string{"sandbox": "exec.sandbox", "timeout": "exec.timeout", "memory": "exec.memory", "python": "exec.python"}

// sandboxFlags are the flags both sandbox commands take: global ones, the
// backend and the interpreter.
func sandboxFlags(extra ...cli.Flag) []cli.Flag {
	return append(append(globalFlags(),
		&cli.StringFlag{Name: "sandbox", Usage: "backend `S`: auto, apptainer, bwrap or process (exec.sandbox)"},
		&cli.StringFlag{Name: "python", Usage: "interpreter `PATH` (exec.python)"}), extra...)
}

var sandboxCommand = group("sandbox", "check what isolation this node gives generated code, or run one script in it", &cli.Command{
	Name:  "check",
	Usage: "run isolation self-tests (network, answers, env, data, timeout, orphans, memory, fork bomb) and print a table",
	Description: `Builds the executor exactly as a run would (exec.* config) and runs small
Python scripts in it. Each line says whether generated code was kept from the
network, the private answers, the harness's secrets and writes to the data,
and whether timeouts, orphans, memory limits and fork bombs are handled.
Exits 1 if any check fails.`,
	Flags:  sandboxFlags(&cli.BoolFlag{Name: "json", Usage: "print JSON instead of a table"}),
	Action: withConfig(sandboxFlagKeys, sandboxCheckAction),
}, &cli.Command{
	Name:      "run",
	Usage:     "run one Python script the way the agent runs a node",
	ArgsUsage: "FILE.py [ARGS...] (flags may follow FILE.py; put script arguments that look like our flags after --)",
	Description: `The public data is mounted read-only at /home/data (bwrap, apptainer), the
work dir (the current directory of the script) at /home/work and the
submission dir at /home/submission; MLBENCH_DATA_DIR, MLBENCH_WORK_DIR and
MLBENCH_SUBMISSION_DIR name them for every backend. A "private" directory next
to --data (the MLE-Bench layout) is hidden unless --hide says otherwise.
Prints the script's output, then a summary line on stderr; exits with the
script's status (124 on timeout, 128+n when killed by signal n).`,
	Flags: sandboxFlags(
		&cli.StringFlag{Name: "data", Usage: "public data `DIR`, mounted read-only"},
		&cli.DurationFlag{Name: "timeout", Usage: "wall-clock limit `D` (exec.timeout)"},
		&cli.StringFlag{Name: "memory", Usage: "memory limit `SIZE`, e.g. 4G (exec.memory)"},
		&cli.StringFlag{Name: "workdir", Usage: "work `DIR` (default: a new temporary directory, kept)"},
		&cli.StringFlag{Name: "submission", Usage: "submission `DIR` (default: <workdir>/submission)"},
		&cli.StringSliceFlag{Name: "hide", Usage: "host `PATH` the script must not see (repeatable)"},
		&cli.IntSliceFlag{Name: "cpu", Usage: "pin to CPU `ID` (repeatable)"},
		&cli.StringFlag{Name: "gpus", Usage: "GPU `IDS` to expose, e.g. 0,1"},
		&cli.BoolFlag{Name: "json", Usage: "print the result as JSON instead of the output"},
	),
	Action: sandboxRunAction,
})

func sandboxCheckAction(c *cli.Context, cfg *configs.Config) error {
	// A secret-looking variable the code must not see: the env check fails
	// if its value shows up in the sandbox.
	canary := "mlbench-canary-" + fmt.Sprint(os.Getpid())
	if err := os.Setenv("MLBENCH_CHECK_API_KEY", canary); err != nil {
		return fmt.Errorf("sandbox check: %w", err)
	}
	e, err := sandbox.New(cfg.Exec, c.App.ErrWriter)
	if err != nil {
		return cli.Exit(fmt.Sprintf("sandbox check: %v", err), 2)
	}
	defer e.Close()
	info := e.Info()
	gpus, err := sandbox.ParseGPUs(cfg.Exec.GPUs)
	if err != nil {
		return cli.Exit(fmt.Sprintf("sandbox check: exec.gpus: %v", err), 2)
	}
	results, err := sandbox.Check(c.Context, e, sandbox.CheckOptions{Canary: canary, GPUs: gpus})
	if err != nil {
		return fmt.Errorf("sandbox check: %w", err)
	}
	failed := 0
	for _, r := range results {
		if r.Status == sandbox.CheckFail {
			failed++
		}
	}
	w := c.App.Writer
	if c.Bool("json") {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Info   sandbox.Info          `json:"info"`
			Checks []sandbox.CheckResult `json:"checks"`
		}{info, results}); err != nil {
			return err
		}
	} else {
		desc := info.Backend
		if info.Version != "" || info.Binary != "" {
			desc += " (" + strings.TrimSpace(info.Version+" "+info.Binary) + ")"
		}
		if info.Cgroup != "" {
			desc += ", per-run cgroup " + info.Cgroup
		}
		fmt.Fprintf(w, "sandbox: %s\n", desc)
		for _, warning := range info.Warnings {
			fmt.Fprintf(w, "warning: %s\n", warning)
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tRESULT\tDETAIL")
		for _, r := range results {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Status, r.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if failed > 0 {
		return cli.Exit(fmt.Sprintf("sandbox check: %d of %d checks failed on the %s backend", failed, len(results), info.Backend), 1)
	}
	return nil
}

func sandboxRunAction(c *cli.Context) error {
	args, err := scriptArgs(c)
	if err != nil {
		return err
	}
	if len(args) < 1 {
		return cli.Exit("sandbox run: give the script: mlbench sandbox run FILE.py [--data DIR]", 2)
	}
	script := args[0]
	if st, err := os.Stat(script); err != nil || !st.Mode().IsRegular() {
		return cli.Exit(fmt.Sprintf("sandbox run: %s is not a readable file", script), 2)
	}
	cfg, err := loadConfig(c, sandboxFlagKeys)
	if err != nil {
		return err
	}
	work := c.String("workdir")
	if work == "" {
		if work, err = os.MkdirTemp("", "mlbench-sandbox-run-"); err != nil {
			return fmt.Errorf("sandbox run: %w", err)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("sandbox run: %w", err)
	}
	spec := sandbox.Spec{
		Script:        script,
		Args:          args[1:],
		WorkDir:       work,
		SubmissionDir: c.String("submission"),
		DataDir:       c.String("data"),
		Hide:          c.StringSlice("hide"),
		Limits:        sandbox.Limits{CPUs: c.IntSlice("cpu")},
	}
	if !c.IsSet("hide") && spec.DataDir != "" {
		// MLE-Bench keeps answers in prepared/private next to prepared/public.
		private := filepath.Join(filepath.Dir(filepath.Clean(spec.DataDir)), "private")
		if _, err := os.Stat(private); err == nil {
			spec.Hide = []string{private}
		}
	}
	if c.IsSet("gpus") {
		if spec.Limits.GPUs, err = sandbox.ParseGPUs(c.String("gpus")); err != nil {
			return cli.Exit(fmt.Sprintf("sandbox run: --gpus: %v", err), 2)
		}
	}
	e, err := sandbox.New(cfg.Exec, c.App.ErrWriter)
	if err != nil {
		return cli.Exit(fmt.Sprintf("sandbox run: %v", err), 2)
	}
	defer e.Close()
	res, err := e.Run(c.Context, spec)
	var se *sandbox.SpecError
	if errors.As(err, &se) {
		return cli.Exit(fmt.Sprintf("sandbox run: %v", err), 2)
	}
	if err != nil && res == nil {
		return fmt.Errorf("sandbox run: %w", err)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		fmt.Fprint(c.App.Writer, res.Output)
		if res.Output != "" && !strings.HasSuffix(res.Output, "\n") {
			fmt.Fprintln(c.App.Writer)
		}
		var files []string
		for _, f := range res.Files {
			files = append(files, fmt.Sprintf("%s (%d B)", f.Path, f.Size))
		}
		if len(files) == 0 {
			files = []string{"none"}
		}
		fmt.Fprintf(c.App.ErrWriter, "sandbox: %s · %s · %.2fs · work dir %s · submission files: %s\n",
			res.Backend, res.Status(), res.WallSeconds(), work, strings.Join(files, ", "))
	}
	if err != nil {
		return err // canceled
	}
	switch {
	case res.TimedOut:
		return cli.Exit("", 124)
	case res.Signal != 0:
		return cli.Exit("", 128+int(res.Signal))
	case res.OOM && res.ExitCode == 0:
		return cli.Exit("", 137)
	case res.ExitCode != 0:
		return cli.Exit("", res.ExitCode)
	}
	return nil
}
