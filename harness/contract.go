package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/task"
)

// MLE-Bench's agent contract: where things are inside an external agent's
// sandbox, and the validation server's address.
const (
	contractHome         = "/home"
	contractAgentDir     = "/home/agent"
	contractLogsDir      = "/home/logs"
	contractCodeDir      = "/home/code"
	contractInstructions = "/home/instructions.txt"
	contractValidate     = "/home/validate_submission.sh"
	validationListen     = "127.0.0.1:5000"
	validationListen6    = "[::1]:5000"
	proxyListen          = "127.0.0.1:3128"
)

// contract is the agent contract as one agent sees it: the fixed /home
// paths under bwrap and apptainer, the item's host paths under the
// process backend (which cannot move paths).
type contract struct {
	Data, Submission, Logs, Code, Agent string
	Instructions, Validate              string
	ValidateURL, ProxyURL               string
	Competition                         string
	TimeLimit                           time.Duration
	StepLimit                           int
	Hardware                            string
}

// env is the contract's environment, as MLE-Bench's runner sets it, plus
// the proxy variables of the egress allow-list.
func (c contract) env() map[string]string {
	e := map[string]string{
		"COMPETITION_ID":  c.Competition,
		"SUBMISSION_DIR":  c.Submission,
		"LOGS_DIR":        c.Logs,
		"CODE_DIR":        c.Code,
		"AGENT_DIR":       c.Agent,
		"TIME_LIMIT_SECS": strconv.Itoa(int(c.TimeLimit.Seconds())),
		"STEP_LIMIT":      strconv.Itoa(c.StepLimit),
		"HARDWARE":        c.Hardware,
		// Not MLE-Bench's, but handy: the validation URL as it really is
		// (it differs under the process backend).
		"MLBENCH_VALIDATE_URL": c.ValidateURL,
		// Only "localhost" skips the proxy: 127.0.0.1 inside the sandbox
		// is not the node's, and the proxy reaches the node's loopback
		// endpoints (a local LLM server) when they are allowed.
		"NO_PROXY": "localhost",
		"no_proxy": "localhost",
	}
	for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"} {
		e[k] = c.ProxyURL
	}
	return e
}

// hardware describes the node for HARDWARE: agent.external.hardware, else
// the CPUs and GPUs the agent gets.
func hardware(cfg *configs.Config) string {
	if h := cfg.Agent.External.Hardware; h != "" {
		return h
	}
	s := fmt.Sprintf("%d CPUs", runtime.NumCPU())
	if g := cfg.Exec.GPUs; g != "" {
		s += ", GPUs " + g
	}
	return s
}

// instructionsText is what /home/instructions.txt says: the points of
// MLE-Bench's instructions, in our words, with this item's paths and
// limits.
var instructionsText = template.Must(template.New("instructions").Parse(`You are an agent taking part in MLE-bench, an offline benchmark of Kaggle competitions that tests how well agents do machine learning engineering.

Your task: train a model on the competition's data and use it on the test set to produce a submission file. Do not hand-label data to produce it.

HOW THIS BENCHMARK WORKS
------
These instructions are also in {{.Instructions}}.

- Competition: {{.Competition}}. Its own instructions are in {{.Data}}/description.md; read them first.
- Data: the competition's files are in {{.Data}}/ (read-only).
- Submission: whatever the competition's instructions say, write one CSV file to {{.Submission}}/submission.csv. Only that file is graded; without it the attempt counts as failed.
- Test set: the original test labels are not public, so the data was re-split into train and test. The files may differ a little from what the description says; work with the split you have.
- Checking a submission: POST it as the multipart field "file" to {{.ValidateURL}} (for example: curl -X POST -F "file=@submission.csv" {{.ValidateURL}}). The answer says whether the file is valid; it never gives a score. {{.Validate}} does this for you.
- Time: you have {{.TimeLimitText}} of wall-clock time{{if .StepLimit}} and {{.StepLimit}} steps{{end}}. At the limit your processes get SIGTERM and, shortly after, SIGKILL; the last {{.Submission}}/submission.csv is graded, so write one early and replace it as you improve.
- Hardware: {{.Hardware}}.
- Keep what you want kept: logs in {{.Logs}}, code in {{.Code}}; your own files are in {{.Agent}}.
- Network: only the validation server and the LLM endpoints you were given are reachable.
- Cheating: do not look at other people's solutions to this competition; plagiarised submissions are disqualified.

You are graded on the competition's metric; aim for the best score you can. Where these points and the competition's description disagree, these points win: they are always true in this offline setting.
`))

// validateScript is /home/validate_submission.sh.
var validateScript = template.Must(template.New("validate").Parse(`#!/bin/sh
# Asks the validation server whether a submission file is valid (it never
# gives a score). Usage: validate_submission.sh SUBMISSION_FILE
url="{{.ValidateURL}}"
if [ -z "${1:-}" ]; then echo "Usage: $0 SUBMISSION_FILE"; exit 1; fi
if [ ! -f "$1" ]; then echo "File $1 does not exist."; exit 1; fi
if command -v curl >/dev/null 2>&1; then
	exec curl -s -X POST -F "file=@$1" "$url"
fi
exec python3 - "$1" "$url" <<'PY'
import sys, urllib.request, uuid
path, url = sys.argv[1], sys.argv[2]
b = uuid.uuid4().hex
body = (b"--" + b.encode() + b'\r\nContent-Disposition: form-data; name="file"; filename="submission.csv"\r\n\r\n'
        + open(path, "rb").read() + b"\r\n--" + b.encode() + b"--\r\n")
req = urllib.request.Request(url, data=body, headers={"Content-Type": "multipart/form-data; boundary=" + b})
try:
    print(urllib.request.urlopen(req, timeout=600).read().decode())
except urllib.error.HTTPError as e:
    print(e.read().decode())
PY
`))

// writeContractFiles renders instructions.txt and validate_submission.sh
// into dir.
func writeContractFiles(dir string, c contract) error {
	data := struct {
		contract
		TimeLimitText string
	}{c, c.TimeLimit.String()}
	for _, f := range []struct {
		name string
		tmpl *template.Template
		mode os.FileMode
	}{{"instructions.txt", instructionsText, 0o644}, {"validate_submission.sh", validateScript, 0o755}} {
		var b strings.Builder
		if err := f.tmpl.Execute(&b, data); err != nil {
			return fmt.Errorf("render %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(b.String()), f.mode); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}

// contractFor is the contract of an agent in the given layout: inside a
// sandbox that moves paths, or on the host's paths (process backend).
func contractFor(l externalLayout, t task.Task, cfg *configs.Config, inside bool, validateURL, proxyURL string) contract {
	ext := cfg.Agent.External
	c := contract{
		Competition: t.ID, TimeLimit: ext.TimeLimit, StepLimit: ext.StepLimit, Hardware: hardware(cfg),
		ValidateURL: validateURL, ProxyURL: proxyURL,
	}
	if inside {
		c.Data, c.Submission, c.Logs, c.Code, c.Agent = sandbox.DataPath, sandbox.SubmissionPath, contractLogsDir, contractCodeDir, contractAgentDir
		c.Instructions, c.Validate = contractInstructions, contractValidate
		return c
	}
	c.Data, c.Submission, c.Logs, c.Code, c.Agent = t.PublicDir, l.submission, l.logs, l.code, l.home
	c.Instructions, c.Validate = filepath.Join(l.root, "instructions.txt"), filepath.Join(l.root, "validate_submission.sh")
	return c
}
