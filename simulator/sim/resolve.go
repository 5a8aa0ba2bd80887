package sim

import "github.com/snapshotlake/snapshotlake/internal/cfn"

// Local stand-ins for the pseudo parameters of the simulated account (the
// project's one set, in internal/cfn).
const (
	Account   = cfn.Account
	Region    = cfn.Region
	Partition = cfn.Partition
)

// world is the simulated account: every resource of a template with the
// physical name and ARN CloudFormation would give it.
type world = cfn.World
