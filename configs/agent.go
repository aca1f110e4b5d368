package configs

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// External configures an agent that mlbench starts as a black box under
// MLE-Bench's agent contract (/home/data, /home/submission, the validation
// server at localhost:5000, ...).
type External struct {
	// Start is the agent's start script: a host path under bwrap and the
	// process backend (its directory becomes /home/agent), a path inside
	// Image under apptainer. "example" names the agent shipped with mlbench.
	Start string `yaml:"start"`
	// Args follow the start script (MLE-Bench's per-agent kwargs).
	Args []string `yaml:"args"`
	// Image is an Apptainer image holding the agent ("" = run Start on the
	// node's own environment).
	Image string `yaml:"image"`
	// Env adds variables. A key NAME_env takes NAME's value from the host
	// variable its value names (for API keys: the secret never lands in a
	// file); other keys are literal values and must not look like secrets.
	Env map[string]string `yaml:"env"`
	// TimeLimit is the agent's wall-clock limit (TIME_LIMIT_SECS); at the
	// limit it gets SIGTERM, then SIGKILL after exec.kill_grace.
	TimeLimit time.Duration `yaml:"time_limit"`
	// StepLimit is passed as STEP_LIMIT (0 = none).
	StepLimit int `yaml:"step_limit"`
	// Allow lists the LLM endpoints the agent may reach (URLs or host:port),
	// through the proxy mlbench sets in HTTP(S)_PROXY; nothing else is
	// reachable but the validation server.
	Allow []string `yaml:"allow"`
	// Hardware is the HARDWARE description given to the agent ("" = probe).
	Hardware string `yaml:"hardware"`
	// MaxSubmission bounds /home/submission/submission.csv, e.g. 1G.
	MaxSubmission string `yaml:"max_submission"`
}

// validate checks agent.external when agent.kind is external; bad is
// Validate's reporter.
func (a Agent) validate(bad func(field string, value any, format string, args ...any)) {
	if a.Kind != "external" {
		return
	}
	e := a.External
	if e.Start == "" {
		bad("agent.external.start", "", "required with agent.kind external: the agent's start script")
	}
	if e.TimeLimit <= 0 {
		bad("agent.external.time_limit", e.TimeLimit, "must be positive")
	}
	if e.StepLimit < 0 {
		bad("agent.external.step_limit", e.StepLimit, "must not be negative")
	}
	for k, v := range e.Env {
		if err := checkAgentEnv(k, v); err != nil {
			bad("agent.external.env."+k, v, "%v", err)
		}
	}
	for _, a := range e.Allow {
		if _, err := AllowedHostPort(a); err != nil {
			bad("agent.external.allow", a, "%v", err)
		}
	}
	if e.MaxSubmission != "" {
		if _, err := ParseBytes(e.MaxSubmission); err != nil {
			bad("agent.external.max_submission", e.MaxSubmission, "%v", err)
		}
	}
}

// secretWords are name fragments of variables that carry credentials (the
// sandbox refuses the same names for literal values).
var secretWords = []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "COOKIE", "PRIVATE"}

// checkAgentEnv refuses literal values for secret-looking names: they would
// be written to config.yaml in the run directory.
func checkAgentEnv(name, value string) error {
	if name == "" || strings.ContainsAny(name, "=\x00") {
		return errors.New("not an environment variable name")
	}
	if base, ok := strings.CutSuffix(name, "_env"); ok {
		if base == "" || value == "" {
			return errors.New("NAME_env needs a NAME and the host variable to read it from")
		}
		return nil
	}
	u := strings.ToUpper(name)
	for _, w := range secretWords {
		if strings.Contains(u, w) {
			return fmt.Errorf("looks like a secret: write %s_env: HOST_VARIABLE so that the value is read from the environment at start and never written to disk", name)
		}
	}
	return nil
}

// AllowedHostPort turns an allow-list entry (https://api.openai.com/v1,
// http://127.0.0.1:8000 or host:port) into the host:port the egress proxy
// lets through.
func AllowedHostPort(entry string) (string, error) {
	if !strings.Contains(entry, "://") {
		entry = "tcp://" + entry
	}
	u, err := url.Parse(entry)
	if err != nil || u.Hostname() == "" {
		return "", errors.New("expected a URL such as https://api.openai.com/v1 or host:port")
	}
	port := u.Port()
	if port == "" {
		switch u.Scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		default:
			return "", errors.New("host:port needs a port")
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port, nil
}
