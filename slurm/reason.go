package slurm

// reasons explain the squeue pending reasons a user meets most, and say
// which of them never resolve by waiting.
var reasons = map[string]string{
	"Priority":                      "waiting for higher-priority jobs",
	"Resources":                     "waiting for free nodes",
	"JobArrayTaskLimit":             "held by slurm.array_throttle",
	"QOSMaxJobsPerUserLimit":        "your QOS allows no more running jobs",
	"AssocMaxJobsLimit":             "your account allows no more running jobs",
	"AssocGrpGRES":                  "your account's GPU share is in use",
	"QOSGrpGRES":                    "the QOS's GPU share is in use",
	"BeginTime":                     "requeued; waits for its begin time",
	"Dependency":                    "waits for a dependency",
	"ReqNodeNotAvail":               "the nodes it can use are down, drained or reserved",
	"PartitionDown":                 "the partition is down",
	"PartitionInactive":             "the partition is inactive",
	"PartitionConfig":               "the request exceeds the partition's limits and never starts: cancel, lower slurm.cpus_per_task/mem/gres/time, resume",
	"PartitionTimeLimit":            "slurm.time exceeds the partition's MaxTime and never starts: cancel, lower slurm.time, resume",
	"PartitionNodeLimit":            "the request exceeds the partition's node limit and never starts",
	"QOSMaxWallDurationPerJobLimit": "slurm.time exceeds the QOS's limit and never starts: cancel, lower slurm.time, resume",
	"InvalidQOS":                    "slurm.qos is not valid for your account and never starts",
	"InvalidAccount":                "slurm.account is not valid and never starts",
	"BadConstraints":                "no node has the constraints of slurm.extra; it never starts",
	"launch failed requeued held":   "held after a failed launch: see the element's log, then scontrol release",
	"JobHeldUser":                   "held by a user: scontrol release",
	"JobHeldAdmin":                  "held by an administrator",
}

// ExplainReason renders a squeue pending reason with what it means:
// "PartitionConfig: the request exceeds ...". Unknown reasons are returned
// as they are; "None" and "" give "".
func ExplainReason(r string) string {
	if r == "" || r == "None" {
		return ""
	}
	if why, ok := reasons[r]; ok {
		return r + ": " + why
	}
	return r
}
