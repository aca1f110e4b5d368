// Command mlbench runs an ML-Master-style tree-search agent on MLE-Bench
// tasks, locally or as one Slurm job array, and reports medal tables.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/harness/sandbox"
	// The scheduling backends register themselves with package scheduler.
	_ "github.com/mlbench/mlbench/scheduler/builtin"
)

func main() {
	if sandbox.IsForwarder(os.Args) {
		// The network forwarder of an external agent's sandbox (the binary
		// runs itself inside it).
		os.Exit(sandbox.ForwarderMain(os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := newApp().RunContext(ctx, os.Args)
	os.Exit(exitCode(err))
}

// newApp builds the CLI. Each subcommand lives in its own file.
func newApp() *cli.App {
	return &cli.App{
		Name:                 "mlbench",
		Usage:                "run an autonomous ML-engineering agent on MLE-Bench, locally or on Slurm",
		Version:              version(),
		EnableBashCompletion: true,
		Flags:                globalFlags(),
		Commands:             commands(),
		// --set values may hold commas (lists, maps): never split them.
		DisableSliceFlagSeparator: true,
		// main alone prints errors and picks the exit code.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}

// commands lists every subcommand; keep it sorted by name.
func commands() []*cli.Command {
	return []*cli.Command{
		cancelCommand,
		collectCommand,
		configCommand,
		gradeCommand,
		graderCommand,
		llmCommand,
		reportCommand,
		resumeCommand,
		runCommand,
		sandboxCommand,
		serveCommand,
		statusCommand,
		submitCommand,
		sweepCommand,
		tasksCommand,
		traceCommand,
		wisdomCommand,
		workerCommand,
	}
}

// group is a command that only holds subcommands ("mlbench trace tree").
func group(name, usage string, subcommands ...*cli.Command) *cli.Command {
	return &cli.Command{Name: name, Usage: usage, Subcommands: subcommands}
}

// exitCode prints err (once, here and nowhere else) and maps it to an exit status.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "mlbench:", msg)
		}
		return ec.ExitCode()
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "mlbench: interrupted")
		return 130
	}
	fmt.Fprintln(os.Stderr, "mlbench:", err)
	return 1
}
