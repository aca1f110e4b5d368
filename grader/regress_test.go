package grader

import "testing"

// Text after a closing quote belongs to the same cell, as pandas reads it.
func TestTextAfterClosingQuote(t *testing.T) {
	tb, err := ParseTable([]byte("a,b\n\"ab\"c,d\n"))
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := tb.Column("a")
	cb, _ := tb.Column("b")
	if got := ca.String(0); got != "abc" {
		t.Errorf("cell a = %q, want abc", got)
	}
	if got := cb.String(0); got != "d" {
		t.Errorf("cell b = %q, want d", got)
	}
}

// Long integer ids that differ by less than float64's spacing stay apart.
func TestLongIntegerIDsDoNotCollide(t *testing.T) {
	a, b := numberKey("1000000000000000001"), numberKey("1000000000000000002")
	if a == b {
		t.Errorf("19-digit ids collide: %q", a)
	}
}
