package filled_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/mlbench/mlbench/internal/filled"
)

type Inner struct{ A, B int64 }

type sample struct {
	S    string
	I    int
	F    float64
	Ok   bool
	T    time.Time
	P    *float64
	L    []string
	In   Inner
	Skip string
	Inner
	hidden int
}

func TestFillSetsEveryFieldDistinctly(t *testing.T) {
	var s sample
	if err := filled.Fill(&s, "Skip"); err != nil {
		t.Fatal(err)
	}
	if z := filled.ZeroFields(s, "Skip"); len(z) != 0 {
		t.Errorf("zero after Fill: %v", z)
	}
	if s.Skip != "" || s.hidden != 0 {
		t.Errorf("skipped or unexported fields were set: %+v", s)
	}
	if s.In.A == s.In.B || s.In.A == s.Inner.A {
		t.Errorf("fields share a value: %+v", s)
	}
	var again sample
	if err := filled.Fill(&again, "Skip"); err != nil || !reflect.DeepEqual(s, again) {
		t.Errorf("Fill is not deterministic: %+v vs %+v (%v)", s, again, err)
	}
}

func TestZeroFieldsNamesWhatIsMissing(t *testing.T) {
	s := sample{S: "x", Inner: Inner{A: 1}}
	got := filled.ZeroFields(&s, "Skip")
	want := []string{"I", "F", "Ok", "T", "P", "L", "In", "B"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ZeroFields = %v, want %v", got, want)
	}
}

func TestFillRefusesWhatItCannotFill(t *testing.T) {
	var m struct{ M map[string]int }
	if err := filled.Fill(&m); err == nil {
		t.Error("a map field was accepted")
	}
	if err := filled.Fill(m); err == nil {
		t.Error("a struct passed by value was accepted")
	}
}

func TestOneSetsOneField(t *testing.T) {
	var s sample
	if err := filled.One(&s, "F"); err != nil {
		t.Fatal(err)
	}
	want := sample{F: s.F}
	if s.F == 0 || !reflect.DeepEqual(s, want) {
		t.Errorf("One(F) gave %+v", s)
	}
	if got := filled.Fields(&s); !reflect.DeepEqual(got, []string{"S", "I", "F", "Ok", "T", "P", "L", "In", "Skip", "Inner"}) {
		t.Errorf("Fields = %v", got)
	}
	if err := filled.One(&s, "Nope"); err == nil {
		t.Error("an unknown field was accepted")
	}
}
