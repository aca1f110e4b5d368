package main

import (
	"fmt"
	"net"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness"
)

var graderCommand = group("grader", "run the submission-format validation server", &cli.Command{
	Name:  "serve",
	Usage: "serve POST /validate and GET /health, compatible with ML-Master's and MLE-Bench's servers",
	Description: `POST /validate takes a multipart field "file"; the competition comes from
the "exp-id" header or the "competition" query parameter. The answer is
{"result": "...", "is_valid": bool} and never a score. GET /health answers
{"status": "running"}. Uploads over grader.max_upload_size get 413, unknown
competitions 400. Binds loopback unless --addr says otherwise; SIGINT or
SIGTERM shut it down cleanly.`,
	Flags: append(globalFlags(),
		&cli.StringFlag{Name: "addr", Usage: "listen `ADDR` (grader.addr, default 127.0.0.1:5001)"},
		dataDirFlag,
		&cli.Int64Flag{Name: "max-upload-size", Usage: "largest upload in `BYTES` (grader.max_upload_size)"},
	),
	Action: withConfig(graderFlagKeys, graderServe),
})

// graderFlagKeys maps grader serve's flags to their config keys.
var graderFlagKeys = map[string]string{"addr": "grader.addr", "data-dir": "data.dir", "max-upload-size": "grader.max_upload_size"}

func graderServe(c *cli.Context, cfg *configs.Config) error {
	addr := cfg.Grader.Addr
	if addr == "" {
		addr = "127.0.0.1:5001"
	}
	reg := harness.RegistryFrom(cfg)
	lbDir := configs.ExpandPath(cfg.Data.Leaderboards)
	srv := &grader.Server{
		DataDir: reg.DataDir, MaxUploadSize: cfg.Grader.MaxUploadSize,
		// Ids resolve as `mlbench run` resolves them: competitions,
		// custom tasks under the data dir, demo tasks.
		Resolve: func(id string) (grader.Request, error) {
			t, err := reg.Task(id)
			if err != nil {
				return grader.Request{}, err
			}
			return t.GradeRequest("", lbDir), nil
		},
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return cli.Exit(fmt.Sprintf("grader serve: %v", err), 2)
	}
	fmt.Fprintf(c.App.ErrWriter, "grader: validating submissions on http://%s (data %s); stop with Ctrl-C\n", l.Addr(), srv.DataDir)
	if err := srv.Serve(c.Context, l, 30*time.Second); err != nil {
		return err
	}
	fmt.Fprintln(c.App.ErrWriter, "grader: stopped")
	return nil
}
