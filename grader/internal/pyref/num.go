package pyref

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// MaxIntDigits is CPython's default limit on the digits of a decimal
// int() conversion (sys.int_info.default_max_str_digits, Python >= 3.11):
// longer literals raise ValueError.
const MaxIntDigits = 4300

// ErrSyntax is returned for text that Python's int() or float() rejects.
var ErrSyntax = errors.New("pyref: invalid literal")

// ErrTooManyDigits is returned for an int literal over MaxIntDigits digits.
var ErrTooManyDigits = errors.New("pyref: int literal exceeds the 4300-digit limit")

// IsSpace reports whether Python's str.isspace() holds for r, i.e. whether
// str.split() with no argument splits on it. It is Unicode White_Space
// plus the ASCII information separators U+001C..U+001F.
func IsSpace(r rune) bool {
	if r < 0x80 {
		return r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f)
	}
	return unicode.IsSpace(r)
}

// Fields splits s like Python's s.split(): on runs of Python whitespace,
// with no empty fields.
func Fields(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		if IsSpace(r) {
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// TrimSpace removes leading and trailing Python whitespace.
func TrimSpace(s string) string {
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		if !IsSpace(r) {
			break
		}
		s = s[n:]
	}
	for len(s) > 0 {
		r, n := utf8.DecodeLastRuneInString(s)
		if !IsSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

// DigitValue returns the value of a Unicode decimal digit (category Nd),
// which Python's int() and float() accept in place of ASCII digits.
func DigitValue(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	// Nd characters come in contiguous runs of ten, zero first.
	zero := r
	for unicode.Is(unicode.Nd, zero-1) {
		zero--
	}
	return int(r-zero) % 10, true
}

// asciiNumber rewrites a Python numeric literal body into ASCII: Unicode
// digits become ASCII digits and underscores are checked (only single ones,
// between two digits) and dropped. It does not validate anything else.
func asciiNumber(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == '_' {
			ascii = false
			break
		}
	}
	if ascii {
		return s, true
	}
	out := make([]byte, 0, len(s))
	prevDigit := false
	pendingUnderscore := false
	for _, r := range s {
		if r == '_' {
			if !prevDigit || pendingUnderscore {
				return "", false
			}
			pendingUnderscore = true
			continue
		}
		d, isDigit := DigitValue(r)
		if pendingUnderscore && !isDigit {
			return "", false
		}
		pendingUnderscore = false
		prevDigit = isDigit
		if isDigit {
			out = append(out, byte('0'+d))
			continue
		}
		if r >= 0x80 {
			return "", false
		}
		out = append(out, byte(r))
	}
	if pendingUnderscore {
		return "", false
	}
	return string(out), true
}

// ParseInt parses s as Python's int(s) does in base 10: surrounding
// whitespace, an optional sign, decimal digits (any Unicode Nd digits) with
// single underscores between digits, at most MaxIntDigits digits. The value
// is returned exactly.
func ParseInt(s string) (*big.Int, error) {
	s = TrimSpace(s)
	body := s
	neg := false
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		neg = body[0] == '-'
		body = body[1:]
	}
	if body == "" {
		return nil, ErrSyntax
	}
	ascii, ok := asciiNumber(body)
	if !ok || ascii == "" {
		return nil, ErrSyntax
	}
	for i := 0; i < len(ascii); i++ {
		if ascii[i] < '0' || ascii[i] > '9' {
			return nil, ErrSyntax
		}
	}
	if len(ascii) > MaxIntDigits {
		return nil, ErrTooManyDigits
	}
	v, ok := new(big.Int).SetString(ascii, 10)
	if !ok {
		return nil, ErrSyntax
	}
	if neg {
		v.Neg(v)
	}
	return v, nil
}

// ParseFloat parses s as Python's float(s) does: surrounding whitespace, an
// optional sign, "inf"/"infinity"/"nan" in any case, or a decimal literal
// with optional fraction and exponent (Unicode digits and single
// underscores between digits allowed). Overflow gives ±Inf, as in Python.
func ParseFloat(s string) (float64, error) {
	t := TrimSpace(s)
	body := t
	sign := 1.0
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	switch lower(body) {
	case "inf", "infinity":
		return math.Inf(int(sign)), nil
	case "nan":
		return math.NaN(), nil
	}
	ascii, ok := asciiNumber(body)
	if !ok || !decimalLiteral(ascii) {
		return 0, ErrSyntax
	}
	v, err := strconv.ParseFloat(ascii, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, ErrSyntax
		}
	}
	return sign * v, nil
}

// lower lowercases ASCII letters of short strings (enough for inf/nan).
func lower(s string) string {
	if len(s) > 8 {
		return ""
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// decimalLiteral checks digits [. digits] [e [sign] digits] with at least
// one mantissa digit (".5" and "5." are fine), as Python's float() grammar.
func decimalLiteral(s string) bool {
	i, n := 0, len(s)
	mant := 0
	for i < n && s[i] >= '0' && s[i] <= '9' {
		i++
		mant++
	}
	if i < n && s[i] == '.' {
		i++
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
			mant++
		}
	}
	if mant == 0 {
		return false
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == n
}

// Max is Python's built-in max(a, b): b only when b > a, so a NaN first
// argument wins and a NaN second argument loses.
func Max(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}

// Min is Python's built-in min(a, b): b only when b < a.
func Min(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}
