package sandbox_test

import (
	"errors"
	"testing"

	"github.com/mlbench/mlbench/harness/sandbox"
)

// Secrets and forwards belong to external agents' commands only; a
// command's mounts must exist and must not show hidden paths.
func TestCommandSpecRefusals(t *testing.T) {
	e := newProcess(t, testOptions())
	tk := newTask(t)
	cases := map[string]func(*sandbox.Spec){
		"secrets for generated code": func(s *sandbox.Spec) { s.Secrets = map[string]string{"OPENAI_API_KEY": "sk"} },
		"forwards for generated code": func(s *sandbox.Spec) {
			s.Forwards = []sandbox.Forward{{Listen: "127.0.0.1:5000", Socket: "/tmp/x.sock"}}
		},
		"command and code": func(s *sandbox.Spec) { s.Command = []string{"/bin/true"} },
		"missing mount": func(s *sandbox.Spec) {
			s.Code, s.Command = "", []string{"/bin/true"}
			s.Mounts = []sandbox.Mount{{Host: "/nonexistent/logs", Inside: "/home/logs"}}
		},
		"mount of a hidden path": func(s *sandbox.Spec) {
			s.Code, s.Command = "", []string{"/bin/true"}
			s.Hide = []string{tk.public}
			s.DataDir = ""
			s.Mounts = []sandbox.Mount{{Host: tk.public, Inside: "/home/logs"}}
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			spec := tk.spec("print(1)")
			mod(&spec)
			var se *sandbox.SpecError
			if _, err := e.Run(t.Context(), spec); !errors.As(err, &se) {
				t.Errorf("want a SpecError, got %v", err)
			}
		})
	}
}
