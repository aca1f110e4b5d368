// Package configs holds mlbench's configuration: the embedded defaults
// (default.yaml), loading of user files, `--set key.path=value` overrides,
// MLBENCH_* environment variables, and validation that names the field.
//
// Precedence, lowest first: embedded defaults, --config file, --set
// overrides, MLBENCH_* environment, explicit command-line flags.
package configs

import "time"

// Config is the effective configuration of a run. Every field carries a yaml
// tag; the dotted path of tags (e.g. "search.uct_c") is the key users write
// in files, --set and MLBENCH_SEARCH_UCT_C.
type Config struct {
	Agent     Agent     `yaml:"agent"`
	LLM       LLM       `yaml:"llm"`
	Search    Search    `yaml:"search"`
	Exec      Exec      `yaml:"exec"`
	Memory    Memory    `yaml:"memory"`
	Scheduler Scheduler `yaml:"scheduler"`
	Slurm     Slurm     `yaml:"slurm"`
	Data      Data      `yaml:"data"`
	Results   Results   `yaml:"results"`
	Grader    Grader    `yaml:"grader"`
}

// LLM configures the two model roles and their accounting.
type LLM struct {
	Code     LLMRole `yaml:"code"`
	Feedback LLMRole `yaml:"feedback"`
	// Replay, when set, answers every request from a transcript file instead
	// of the network.
	Replay string `yaml:"replay"`
	// Prices maps a model name to its price in USD per million tokens.
	Prices map[string]Price `yaml:"prices"`
	// Templates adds or replaces chat templates for steerable reasoning, by
	// family name (deepseek-r1 and qwen3 are built in).
	Templates map[string]ChatTemplate `yaml:"templates"`
}

// LLMRole is one model endpoint (the coder or the reviewer).
type LLMRole struct {
	Model       string        `yaml:"model"`
	BaseURL     string        `yaml:"base_url"`
	APIKeyEnv   string        `yaml:"api_key_env"`
	Temperature float64       `yaml:"temperature"`
	MaxTokens   int           `yaml:"max_tokens"`
	Timeout     time.Duration `yaml:"timeout"`
	MaxRetries  int           `yaml:"max_retries"`
	// FormatRetries is how often a reply without code (coder) or without a
	// review (reviewer) is asked again with a reminder.
	FormatRetries int            `yaml:"format_retries"`
	Extra         map[string]any `yaml:"extra"`
	// SteerableReasoning pre-fills the model's thinking through a raw
	// completions endpoint (open reasoning models only).
	SteerableReasoning bool   `yaml:"steerable_reasoning"`
	Template           string `yaml:"template"`
}

// ChatTemplate renders a chat as the raw prompt text of one model family.
// Message patterns contain {content}; the prompt is Prefix, the rendered
// messages, Generation, then ThinkOpen and the pre-filled thinking.
type ChatTemplate struct {
	Prefix     string   `yaml:"prefix"`
	System     string   `yaml:"system"`
	User       string   `yaml:"user"`
	Assistant  string   `yaml:"assistant"`
	Generation string   `yaml:"generation"`
	ThinkOpen  string   `yaml:"think_open"`
	ThinkClose string   `yaml:"think_close"`
	Stop       []string `yaml:"stop"`
}

// Price is a model's cost in USD per million tokens.
type Price struct {
	Prompt     float64 `yaml:"prompt"`
	Completion float64 `yaml:"completion"`
	// CachedPrompt prices prompt tokens the provider served from its
	// prefix cache; nil means the full prompt price.
	CachedPrompt *float64 `yaml:"cached_prompt"`
}

// Agent chooses what solves each work item.
type Agent struct {
	// Kind names a registered agent: "mlbench" (our tree search, the
	// default); harness.AgentKinds lists what this binary has.
	Kind string `yaml:"kind"`
	// External configures agent.kind external (harness/agent_external.go).
	External External `yaml:"external"`
}

// Search configures the tree search (defaults from ML-Master's published config).
type Search struct {
	Policy               string        `yaml:"policy"`
	Coder                string        `yaml:"coder"`
	Reward               string        `yaml:"reward"`
	NumDrafts            int           `yaml:"num_drafts"`
	NumImproves          int           `yaml:"num_improves"`
	NumBugs              int           `yaml:"num_bugs"`
	BackDebugDepth       int           `yaml:"back_debug_depth"`
	MaxDebugDepth        int           `yaml:"max_debug_depth"`
	MaxImproveFailure    int           `yaml:"max_improve_failure"`
	ImprovementThreshold float64       `yaml:"improvement_threshold"`
	ContinueImprove      bool          `yaml:"continue_improve"`
	DebugProb            float64       `yaml:"debug_prob"`
	UCTC                 float64       `yaml:"uct_c"`
	UCTCMin              float64       `yaml:"uct_c_min"`
	Decay                string        `yaml:"decay"`
	DecayAlpha           float64       `yaml:"decay_alpha"`
	PhaseRatios          []float64     `yaml:"phase_ratios"`
	Workers              int           `yaml:"workers"`
	Steps                int           `yaml:"steps"`
	TimeLimit            time.Duration `yaml:"time_limit"`
}

// Exec configures the sandbox that runs generated code.
type Exec struct {
	Sandbox   string        `yaml:"sandbox"`
	Timeout   time.Duration `yaml:"timeout"`
	Python    string        `yaml:"python"`
	Memory    string        `yaml:"memory"`
	CPUs      int           `yaml:"cpus"`
	GPUs      string        `yaml:"gpus"`
	Disk      string        `yaml:"disk"`
	MaxProcs  int           `yaml:"max_procs"`
	Network   bool          `yaml:"network"`
	EnvAllow  []string      `yaml:"env_allow"`
	OutputMax int           `yaml:"output_max"`
	KillGrace time.Duration `yaml:"kill_grace"`
	Binds     []string      `yaml:"binds"`
	Apptainer Apptainer     `yaml:"apptainer"`
}

// Apptainer configures the apptainer backend.
type Apptainer struct {
	Binary    string   `yaml:"binary"`
	Image     string   `yaml:"image"`
	Network   string   `yaml:"network"`
	ExtraArgs []string `yaml:"extra_args"`
}

// Memory configures the three memory tiers.
type Memory struct {
	ContextBudget int           `yaml:"context_budget"`
	TaskKnowledge TaskKnowledge `yaml:"task_knowledge"`
	Wisdom        Wisdom        `yaml:"wisdom"`
}

// TaskKnowledge configures per-task distilled knowledge.
type TaskKnowledge struct {
	Enabled bool `yaml:"enabled"`
	Every   int  `yaml:"every"`
	Refine  bool `yaml:"refine"`
}

// Wisdom configures the cross-task store on the shared filesystem.
type Wisdom struct {
	Enabled         bool   `yaml:"enabled"`
	Dir             string `yaml:"dir"`
	TopK            int    `yaml:"top_k"`
	IncludeSameTask bool   `yaml:"include_same_task"`
	// Refresh is how often a running item lists the store again even when
	// its directory looks unchanged (NFS attribute caches can hide other
	// hosts' entries); 0 relies on the directory's modification time only.
	Refresh time.Duration `yaml:"refresh"`
}

// Scheduler picks where work items run.
type Scheduler struct {
	Kind string `yaml:"kind"`
	Jobs int    `yaml:"jobs"`
}

// Slurm configures the sbatch array.
type Slurm struct {
	Partition     string        `yaml:"partition"`
	Account       string        `yaml:"account"`
	QOS           string        `yaml:"qos"`
	Gres          string        `yaml:"gres"`
	Time          string        `yaml:"time"`
	CPUsPerTask   int           `yaml:"cpus_per_task"`
	Mem           string        `yaml:"mem"`
	ArrayThrottle int           `yaml:"array_throttle"`
	SignalGrace   time.Duration `yaml:"signal_grace"`
	MaxAttempts   int           `yaml:"max_attempts"`
	Extra         []string      `yaml:"extra"`
	// Container runs each array element's worker inside this Apptainer
	// image (exec.apptainer.binary); "" runs it on the node.
	Container string `yaml:"container"`
}

// Data says where prepared MLE-Bench data and leaderboards live.
type Data struct {
	Dir          string `yaml:"dir"`
	Leaderboards string `yaml:"leaderboards"`
	// DemoDir holds the synthetic demo tasks (made on first use).
	DemoDir string `yaml:"demo_dir"`
	// DemoSeed seeds the demo task generator.
	DemoSeed int64 `yaml:"demo_seed"`
}

// Results says where run directories are created.
type Results struct {
	Dir string `yaml:"dir"`
}

// Grader configures the validation server.
type Grader struct {
	Addr          string `yaml:"addr"`
	MaxUploadSize int64  `yaml:"max_upload_size"`
}
