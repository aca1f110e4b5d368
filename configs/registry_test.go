package configs_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/mlbench/mlbench/configs"
)

func TestRegistry(t *testing.T) {
	r := configs.NewRegistry[int]("test.kind", "widget")
	r.Register("b", 2)
	r.Register("a", 1)
	if got := r.Kinds(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("kinds %v, want [a b]", got)
	}
	if !slices.Contains(configs.Kinds("test.kind"), "a") {
		t.Errorf("registering did not make the kind valid: %v", configs.Kinds("test.kind"))
	}
	if v, err := r.Lookup("b"); err != nil || v != 2 {
		t.Errorf("Lookup(b) = %v, %v", v, err)
	}
	_, err := r.Lookup("c")
	var fe *configs.FieldError
	if !errors.As(err, &fe) || fe.Field != "test.kind" || fe.Value != "c" || err.Error() == "" {
		t.Fatalf("Lookup(c) err = %v, want a FieldError for test.kind", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a kind twice did not panic")
		}
	}()
	r.Register("a", 3)
}
