package sandbox

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// secretMarkers are name fragments of variables that carry credentials.
// A variable whose upper-cased name contains one is never passed to code,
// even when allow-listed.
var secretMarkers = []string{
	"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH",
	"COOKIE", "PRIVATE", "AWS_", "AZURE_", "GOOGLE_APPLICATION", "OPENAI",
	"ANTHROPIC",
}

// IsSecretName reports whether an environment variable name looks like it
// holds a credential (OPENAI_API_KEY, GITHUB_TOKEN, AWS_..., ...).
func IsSecretName(name string) bool {
	u := strings.ToUpper(name)
	for _, m := range secretMarkers {
		if strings.Contains(u, m) {
			return true
		}
	}
	return false
}

// checkEnvNames refuses names that look like secrets or cannot be names.
func checkEnvNames(field string, names []string) error {
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, "=\x00") {
			return &SpecError{Field: field, Value: n, Err: fmt.Errorf("not an environment variable name")}
		}
		if IsSecretName(n) {
			return &SpecError{Field: field, Value: n, Err: ErrSecretEnv}
		}
	}
	return nil
}

// buildEnv assembles the code's environment: allow-listed host variables,
// then the sandbox's own, then spec.Env. host is os.Environ()-shaped.
func buildEnv(host []string, allow []string, own map[string]string, extra map[string]string) (map[string]string, error) {
	if err := checkEnvNames("Env", slices.Collect(maps.Keys(extra))); err != nil {
		return nil, err
	}
	vars := make(map[string]string)
	allowed := make(map[string]bool, len(allow))
	for _, a := range allow {
		allowed[a] = true
	}
	for _, kv := range host {
		k, v, ok := strings.Cut(kv, "=")
		if ok && allowed[k] && !IsSecretName(k) {
			vars[k] = v
		}
	}
	maps.Copy(vars, own)
	maps.Copy(vars, extra)
	return vars, nil
}

// ownEnv is what every backend sets, with p the paths as the code sees them.
func ownEnv(p Paths, home, tmp string, lim Limits) map[string]string {
	env := map[string]string{
		EnvWorkDir:         p.Work,
		EnvSubmissionDir:   p.Submission,
		"PYTHONUNBUFFERED": "1", // keep output written before a kill
		"MPLBACKEND":       "Agg",
	}
	if p.Data != "" {
		env[EnvDataDir] = p.Data
	}
	if home != "" {
		env["HOME"] = home
	}
	if tmp != "" {
		env["TMPDIR"] = tmp
	}
	if lim.GPUs != nil {
		env["CUDA_VISIBLE_DEVICES"] = strings.Join(lim.GPUs, ",")
	}
	if n := len(lim.CPUs); n > 0 {
		env["OMP_NUM_THREADS"] = strconv.Itoa(n)
	}
	return env
}

// environ renders vars as sorted KEY=VALUE pairs.
func environ(vars map[string]string) []string {
	out := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		out = append(out, k+"="+vars[k])
	}
	return out
}
