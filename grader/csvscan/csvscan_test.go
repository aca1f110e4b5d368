package csvscan_test

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mlbench/mlbench/grader/csvscan"
)

// readAll reads every record as strings; missing trailing cells are absent.
func readAll(tb testing.TB, r io.Reader, size int) ([]string, [][]string, error) {
	tb.Helper()
	cr, err := csvscan.NewReaderSize(r, size)
	if err != nil {
		return nil, nil, err
	}
	var recs [][]string
	for {
		ok, err := cr.Next()
		if err != nil {
			return cr.Header(), recs, err
		}
		if !ok {
			return cr.Header(), recs, nil
		}
		var rec []string
		for {
			more, err := cr.Field()
			if err != nil {
				return cr.Header(), recs, err
			}
			if !more {
				break
			}
			b, err := cr.Bytes(nil)
			if err != nil {
				return cr.Header(), recs, err
			}
			rec = append(rec, string(b))
		}
		recs = append(recs, rec)
	}
}

func TestReader(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		header []string
		recs   [][]string
	}{
		{"plain", "id,x\na,1\nb,2\n", []string{"id", "x"}, [][]string{{"a", "1"}, {"b", "2"}}},
		{"no final newline", "id,x\na,1", []string{"id", "x"}, [][]string{{"a", "1"}}},
		{"crlf and cr", "id,x\r\na,1\rb,2\r\n", []string{"id", "x"}, [][]string{{"a", "1"}, {"b", "2"}}},
		{"blank lines skipped", "\n\nid,x\n\na,1\n\r\n\nb,2\n\n", []string{"id", "x"}, [][]string{{"a", "1"}, {"b", "2"}}},
		{"quotes", "id,x\n\"a,b\",\"say \"\"hi\"\"\"\n", []string{"id", "x"}, [][]string{{"a,b", `say "hi"`}}},
		{"newline in quotes", "id,x\n\"a\nb\",1\n", []string{"id", "x"}, [][]string{{"a\nb", "1"}}},
		{"text after quote", "id,x\n\"ab\"c,1\n", []string{"id", "x"}, [][]string{{"abc", "1"}}},
		{"short row", "id,x,y\na\n", []string{"id", "x", "y"}, [][]string{{"a"}}},
		{"trailing comma at EOF", "id,x\na,", []string{"id", "x"}, [][]string{{"a", ""}}},
		{"empty quoted", "id,x\n\"\",1\n", []string{"id", "x"}, [][]string{{"", "1"}}},
		{"bom", "\xef\xbb\xbfid,x\na,1\n", []string{"id", "x"}, [][]string{{"a", "1"}}},
		{"header mangling", "id,,id,id.1\n1,2,3,4\n", []string{"id", "Unnamed: 1", "id.1", "id.1.1"}, [][]string{{"1", "2", "3", "4"}}},
		{"empty input", "", nil, nil},
		{"header only", "id,x\n", []string{"id", "x"}, nil},
		{"quote inside unquoted", "id\nab\"c\n", []string{"id"}, [][]string{{`ab"c`}}},
	}
	for _, tc := range tests {
		for _, size := range []int{16, 1 << 20} {
			t.Run(tc.name, func(t *testing.T) {
				h, recs, err := readAll(t, iotest.OneByteReader(strings.NewReader(tc.in)), size)
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if !reflect.DeepEqual(h, tc.header) {
					t.Errorf("header = %q, want %q", h, tc.header)
				}
				if !reflect.DeepEqual(recs, tc.recs) {
					t.Errorf("records = %q, want %q", recs, tc.recs)
				}
			})
		}
	}
}

func TestReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		row  int
		line int
	}{
		{"too many fields", "id,x\na,1\nb,2,3\n", 2, 3},
		{"unterminated quote", "id,x\na,\"open\n\n", 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, strings.NewReader(tc.in), 16)
			var fe *csvscan.FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error = %v, want *FormatError", err)
			}
			if fe.Row != tc.row || fe.Line != tc.line {
				t.Fatalf("error at row %d line %d, want row %d line %d (%v)", fe.Row, fe.Line, tc.row, tc.line, err)
			}
		})
	}
}

func TestLineNumbers(t *testing.T) {
	cr, err := csvscan.NewReader(strings.NewReader("id,x\n\"a\nb\",1\n\nc,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for {
		ok, err := cr.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		lines = append(lines, cr.Line())
	}
	if want := []int{2, 5}; !reflect.DeepEqual(lines, want) {
		t.Fatalf("lines = %v, want %v", lines, want)
	}
}

func TestChunksAreBounded(t *testing.T) {
	big := strings.Repeat("12345 ", 100000)
	cr, err := csvscan.NewReaderSize(strings.NewReader("id,rle\na,"+big+"\n"), 4096)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := cr.Next(); !ok {
		t.Fatal("no record")
	}
	cr.Field()
	cr.Field()
	total := 0
	for {
		c, err := cr.Chunk()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(c) > 4096 {
			t.Fatalf("chunk of %d bytes exceeds the window", len(c))
		}
		total += len(c)
	}
	if total != len(big) {
		t.Fatalf("read %d bytes, want %d", total, len(big))
	}
}

func TestKindTracker(t *testing.T) {
	tests := []struct {
		name  string
		cells []string
		want  csvscan.Kind
	}{
		{"none", nil, csvscan.KindEmpty},
		{"all missing", []string{"", "NA", "nan"}, csvscan.KindEmpty},
		{"numbers", []string{"1", " 2.5", "", "inf", "1e3"}, csvscan.KindNumeric},
		{"text", []string{"1", "1 2"}, csvscan.KindText},
		{"hex is text", []string{"0x10"}, csvscan.KindText},
		{"underscore is text", []string{"1_0"}, csvscan.KindText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var k csvscan.KindTracker
			for _, c := range tc.cells {
				k.Observe(c)
			}
			if got := k.Kind(); got != tc.want {
				t.Fatalf("Kind = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzReader checks that any input reads the same through a tiny window
// fed one byte at a time as through a large window, and never panics.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"id,x\na,1\n", "a\n\"b\"\"c\"d,e\r\n", "\xef\xbb\xbfx\n\"", "a,b\n1,2,3\n", "\r\r\n,,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h1, r1, e1 := readAll(t, strings.NewReader(in), 1<<20)
		h2, r2, e2 := readAll(t, iotest.OneByteReader(strings.NewReader(in)), 16)
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("errors differ: %v vs %v", e1, e2)
		}
		if !reflect.DeepEqual(h1, h2) || !reflect.DeepEqual(r1, r2) {
			t.Fatalf("window size changes the result: %q %q vs %q %q", h1, r1, h2, r2)
		}
	})
}
