package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/results/web"
	"github.com/mlbench/mlbench/scheduler"
)

var serveCommand = &cli.Command{
	Name:      "serve",
	Usage:     "serve a live, read-only web view of runs (runs, items, search trees, comparisons)",
	ArgsUsage: "[RUN...]",
	Description: `Serves pages and a JSON API (/api/...) over run directories: every run
under --runs (default results.dir; new runs appear as they are made) and the
RUNs named. Pages update while runs go on, without reloading. Nothing is
written into a run directory.

The server listens on loopback (127.0.0.1:8080) by default. On a cluster's
login node, reach it through an SSH tunnel from your machine:

  ssh -N -L 8080:127.0.0.1:8080 login.cluster.example

and open http://127.0.0.1:8080/. To listen on another address, --addr needs
--token-env NAME: the access token is read from the environment variable
NAME, and the first visit is http://HOST:PORT/?token=TOKEN (a cookie keeps
it), or scripts send "Authorization: Bearer TOKEN".

Examples:
  mlbench serve
  mlbench serve --runs /shared/runs --addr 127.0.0.1:9000
  MLBENCH_VIEW_TOKEN=$(openssl rand -hex 16) mlbench serve --addr 0.0.0.0:8080 --token-env MLBENCH_VIEW_TOKEN`,
	Flags: append(globalFlags(),
		&cli.StringFlag{Name: "runs", Usage: "`DIR` whose sub-directories are runs (default: results.dir)"},
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "`HOST:PORT` to listen on (non-loopback needs --token-env)"},
		&cli.StringFlag{Name: "token-env", Usage: "read the access token from the environment variable `NAME`"},
	),
	Action: serveAction,
}

func serveAction(c *cli.Context) error {
	args, err := positionalArgs(c)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(c, nil)
	if err != nil {
		return err
	}
	opts := web.Options{Log: log.New(c.App.ErrWriter, "", log.LstdFlags)}
	for _, ref := range args {
		dir, err := results.ResolveRunDir(ref, cfg.Results.Dir)
		if err != nil {
			return cli.Exit("serve: "+err.Error(), 2)
		}
		opts.Runs = append(opts.Runs, dir)
	}
	opts.Root = c.String("runs")
	if opts.Root == "" && len(args) == 0 {
		opts.Root = configs.ExpandPath(cfg.Results.Dir)
		if err := os.MkdirAll(opts.Root, 0o755); err != nil {
			return cli.Exit(fmt.Sprintf("serve: results.dir %s: %v", opts.Root, err), 2)
		}
	}
	if name := c.String("token-env"); name != "" {
		if opts.Token = os.Getenv(name); opts.Token == "" {
			return cli.Exit(fmt.Sprintf("serve: --token-env %s: the variable is not set or empty", name), 2)
		}
	}
	addr := c.String("addr")
	loopback, err := isLoopback(addr)
	if err != nil {
		return cli.Exit("serve: --addr "+addr+": "+err.Error(), 2)
	}
	if !loopback && opts.Token == "" {
		return cli.Exit(fmt.Sprintf("serve: --addr %s is reachable from other machines: set an access token with --token-env NAME (or use an SSH tunnel to a loopback address)", addr), 2)
	}
	opts.States = queueStates(c.Context)
	srv, err := web.New(opts)
	if err != nil {
		return cli.Exit("serve: "+err.Error(), 2)
	}
	defer srv.Close()
	// Read every run once now, so the first page opened is served from the
	// cache (a 10,000-item run's cold scan takes seconds on a busy node).
	go srv.Warm(c.Context)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return cli.Exit("serve: "+err.Error(), 2)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ErrorLog: opts.Log}
	what := opts.Root
	if len(opts.Runs) > 0 {
		what = fmt.Sprintf("%d run(s)", len(opts.Runs))
		if opts.Root != "" {
			what += " and " + opts.Root
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "serving %s at http://%s/ (read-only; Ctrl-C stops)\n", what, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-c.Context.Done():
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		return nil
	}
}

// isLoopback reports whether addr listens on loopback only.
func isLoopback(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if host == "localhost" {
		return true, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		if host == "" {
			return false, nil // every interface
		}
		return false, errors.New("the host must be an IP address or localhost")
	}
	return ip.IsLoopback(), nil
}

// queueStates refines item states of Slurm runs from the queue (lost,
// queued, requeued, ...) with the same code as mlbench status.
func queueStates(ctx context.Context) func(string, results.Manifest) (map[int]string, error) {
	return func(dir string, m results.Manifest) (map[int]string, error) {
		jobs, err := results.ReadJobs(dir)
		if err != nil || len(jobs.Submissions) == 0 {
			return nil, err
		}
		sched, err := scheduler.ForRun(dir, nil)
		if err != nil {
			return nil, err
		}
		qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		snap, err := sched.Observe(qctx, dir, m)
		if err != nil {
			return nil, err
		}
		if snap.QueueErr != nil {
			return nil, snap.QueueErr
		}
		out := make(map[int]string, len(snap.Items))
		for _, it := range snap.Items {
			out[it.Index] = it.Show
		}
		return out, nil
	}
}
