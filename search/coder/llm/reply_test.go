package llm_test

import (
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search/coder/llm"
)

func TestParseReply(t *testing.T) {
	const prog = "import pandas as pd\n\ndf = pd.read_csv('train.csv')\nprint('validation_metric: 0.5')"
	cases := []struct {
		name      string
		reply     string
		code      string
		plan      string
		complete  bool
		reasoning string
	}{
		{name: "plan then one block",
			reply: "Use pandas.\n\n```python\n" + prog + "\n```\n",
			code:  prog, plan: "Use pandas.", complete: true},
		{name: "shell snippet and program",
			reply: "Install first:\n```bash\npip install lightgbm\n```\nThen:\n```python\n" + prog + "\n```",
			code:  prog, plan: "Install first:\nThen:", complete: true},
		{name: "usage example and the program: longest wins",
			reply: "Plan.\n```python\n" + prog + "\n```\nRun it like this:\n```python\nmain()\n```",
			code:  prog, plan: "Plan.", complete: true},
		{name: "program repeated revised: the later of equal length wins",
			reply: "```python\nprint(1)\n```\nActually:\n```python\nprint(2)\n```",
			code:  "print(2)", plan: "Actually:", complete: true},
		{name: "missing fences with prose after the code",
			reply: "My plan: read and print.\n" + prog + "\n\nThis program reads the training data and prints the metric.\n",
			code:  prog, plan: "My plan: read and print.", complete: true},
		{name: "prose after a closed block is not code; plan taken from after when nothing before",
			reply: "```python\n" + prog + "\n```\nThis reads the data.",
			code:  prog, plan: "This reads the data.", complete: true},
		{name: "unclosed fence (cut off)",
			reply: "Plan.\n```python\nimport os\nfor f in os.listdir('.'):\n    print(f)\n",
			code:  "import os\nfor f in os.listdir('.'):\n    print(f)", plan: "Plan.", complete: false},
		{name: "unclosed fence with prose after",
			reply: "Plan.\n```python\nimport os\nprint(os.getcwd())\n\nThis prints the working directory for you.",
			code:  "import os\nprint(os.getcwd())", plan: "Plan.", complete: false},
		{name: "untagged block of python",
			reply: "Plan.\n```\nimport numpy as np\nx = np.zeros(3)\nprint(x)\n```",
			code:  "import numpy as np\nx = np.zeros(3)\nprint(x)", plan: "Plan.", complete: true},
		{name: "untagged block of output is not code",
			reply: "The output was:\n```\nEpoch 1/10 loss 0.3 accuracy good\nTraining finished after ten epochs\n```",
			plan:  "The output was:\n```\nEpoch 1/10 loss 0.3 accuracy good\nTraining finished after ten epochs\n```"},
		{name: "tagged block preferred over untagged",
			reply: "```\nx = 1\ny = 2\nz = 3\nprint(x, y, z, 'long untagged block')\n```\n```python\nprint('tagged')\n```",
			code:  "print('tagged')", complete: true},
		{name: "code inside the thinking is ignored",
			reply: "<think>draft:\n```python\nprint('draft')\n```\nbetter idea</think>\nFinal plan.\n```python\nprint('final')\n```",
			code:  "print('final')", plan: "Final plan.", complete: true, reasoning: "draft:\n```python\nprint('draft')\n```\nbetter idea"},
		{name: "only thinking, never closed",
			reply:     "<think>I should use ```python\nprint(1)\n```",
			reasoning: "I should use ```python\nprint(1)\n```"},
		{name: "CRLF line endings",
			reply: "Plan.\r\n```python\r\nprint(1)\r\nprint(2)\r\n```\r\n",
			code:  "print(1)\nprint(2)", plan: "Plan.", complete: true},
		{name: "language tag variants",
			reply: "```Python3 {.numberLines}\nprint(3)\n```",
			code:  "print(3)", complete: true},
		{name: "tilde fence",
			reply: "~~~py\nprint(4)\n~~~",
			code:  "print(4)", complete: true},
		{name: "longer fence holds a markdown string with backticks",
			reply: "Plan.\n````python\ndoc = '''\n```\nnot the end\n```\n'''\nprint(doc)\n````",
			code:  "doc = '''\n```\nnot the end\n```\n'''\nprint(doc)", plan: "Plan.", complete: true},
		{name: "indented fence in a list item",
			reply: "1. Plan.\n   ```python\n   print(5)\n   ```",
			code:  "   print(5)", plan: "1. Plan.", complete: true},
		{name: "prose only",
			reply: "I cannot solve this task without more information.",
			plan:  "I cannot solve this task without more information."},
		{name: "empty", reply: ""},
		{name: "empty python block",
			reply: "Plan.\n```python\n\n```",
			plan:  "Plan.\n```python\n\n```", complete: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := llm.ParseReply(tc.reply)
			if r.Code != tc.code {
				t.Errorf("Code = %q\nwant   %q", r.Code, tc.code)
			}
			if r.Plan != tc.plan {
				t.Errorf("Plan = %q\nwant   %q", r.Plan, tc.plan)
			}
			if r.Code != "" && r.Complete != tc.complete {
				t.Errorf("Complete = %v", r.Complete)
			}
			if r.Reasoning != tc.reasoning {
				t.Errorf("Reasoning = %q", r.Reasoning)
			}
		})
	}
}

func TestSplitThinking(t *testing.T) {
	cases := []struct{ in, reasoning, answer string }{
		{"<think>a</think>b", "a", "b"},
		{"  <think>\na\n</think>\nb", "a", "\nb"},
		{"a</think>b", "a", "b"},
		{"<think>a", "a", ""},
		{"no thinking", "", "no thinking"},
		{"x <think>y", "", "x <think>y"},
		{"<think>a</think>b</think>c", "a", "b</think>c"},
	}
	for _, tc := range cases {
		r, a := llm.SplitThinking(tc.in)
		if r != tc.reasoning || a != tc.answer {
			t.Errorf("SplitThinking(%q) = %q, %q; want %q, %q", tc.in, r, a, tc.reasoning, tc.answer)
		}
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"Plan.\n```python\nprint(1)\n```\n",
		"<think>x</think>```py\nimport os\n```\nprose after",
		"import numpy as np\nx = 1\nThis is prose at the end of it.",
		"````python\n```\n````",
		"```\nx = 1\n",
		"~~~\n```python\nprint(1)\n~~~",
		"\r\n```python\r\nprint(1)\r\n```",
		"   ```python\n   def f():\n       return 1\n   ```",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := llm.ParseReply(s)
		norm := strings.ReplaceAll(s, "\r\n", "\n")
		if !strings.Contains(norm, r.Answer) {
			t.Fatalf("answer is not part of the reply")
		}
		if r.Code != "" {
			if strings.TrimSpace(r.Code) == "" {
				t.Fatalf("blank code %q", r.Code)
			}
			if !strings.Contains(r.Answer, r.Code) {
				t.Fatalf("code %q is not a part of the answer %q", r.Code, r.Answer)
			}
			if r.Blocks < 1 {
				t.Fatalf("code without a block count")
			}
		}
		if r.Plan != strings.TrimSpace(r.Plan) {
			t.Fatalf("untrimmed plan %q", r.Plan)
		}
		// Parsing is deterministic and idempotent on the chosen code.
		if again := llm.ParseReply(s); again != r {
			t.Fatalf("not deterministic")
		}
	})
}
