package sandbox

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SecretEnvError is the process backend refusing to run while this
// process's environment holds secrets: code it runs has the same user and
// sees every process, so it could read them from /proc/<pid>/environ of
// the worker (or of any process started with them).
type SecretEnvError struct {
	Names []string
}

func (e *SecretEnvError) Error() string {
	return fmt.Sprintf("the process backend refuses to run generated code while %s is in mlbench's environment: the code runs as the same user without a pid namespace and could read it from /proc/%d/environ; use exec.sandbox=bwrap or apptainer (they hide other processes), or unset it (the baseline coder needs no API key)",
		strings.Join(e.Names, ", "), os.Getpid())
}

// Unwrap lets errors.Is(err, ErrSecretEnv) match.
func (e *SecretEnvError) Unwrap() error { return ErrSecretEnv }

// readableSecrets lists the secret-looking variables with a value in this
// process's environment as other processes can read it: /proc/self/environ
// (the environment the process started with; os.Setenv does not change
// it), or os.Environ where there is no /proc. Values that are absolute
// paths (AWS_CA_BUNDLE, SSH_AUTH_SOCK) are locations, not secrets.
func readableSecrets() []string {
	var env []string
	if b, err := os.ReadFile("/proc/self/environ"); err == nil {
		for _, kv := range bytes.Split(b, []byte{0}) {
			if len(kv) > 0 {
				env = append(env, string(kv))
			}
		}
	} else {
		env = os.Environ()
	}
	return secretNames(env)
}

// secretNames picks the names of secret-looking variables with a value
// that is not an absolute path.
func secretNames(env []string) []string {
	var out []string
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if ok && v != "" && IsSecretName(k) && !filepath.IsAbs(v) {
			out = append(out, k)
		}
	}
	return out
}
