package rdsexport

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/jsii-runtime-go"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
)

// Props configures an RdsExport.
type Props struct {
	// Clusters whose snapshots are exported, when the clusters are constructs
	// at hand. Default: none.
	Clusters []awsrds.IDatabaseCluster
	// ClusterIdentifiers of existing DB clusters whose snapshots are exported.
	// Default: none.
	ClusterIdentifiers []string
	// Instances whose snapshots are exported, when the instances are
	// constructs at hand. Default: none.
	Instances []awsrds.IDatabaseInstance
	// InstanceIdentifiers of existing DB instances whose snapshots are
	// exported. Default: none.
	InstanceIdentifiers []string

	// ExportBucket receives the export (the staging bucket). Required.
	ExportBucket awss3.IBucket
	// ExportKey is the KMS key the export is encrypted with (StartExportTask's
	// KmsKeyId). Required.
	ExportKey awskms.IKey
	// S3Prefix is StartExportTask's S3Prefix: the export lands under
	// "<S3Prefix>/<export id>/". Default: no prefix.
	S3Prefix string
	// ExportOnly limits the export to these databases, schemas or tables
	// ("database", "database.schema", "database.schema.table").
	// Default: the whole snapshot.
	ExportOnly []string
	// ExportRole is the role RDS assumes to write the export (trusted by
	// export.rds.amazonaws.com, with the S3 rights on ExportBucket and the
	// KMS rights on ExportKey the RDS user guide lists).
	// Default: a new role with exactly those rights.
	ExportRole awsiam.IRole
	// ExportIDPrefix starts every export task identifier.
	// Default: no prefix (the identifier starts with the sanitised snapshot id).
	ExportIDPrefix string

	// CopyStateMachine copies a finished export (an S3Copy's state machine).
	// It is started with a name equal to the export id and waited for. Required.
	CopyStateMachine awsstepfunctions.IStateMachine
	// DestinationEventBus also receives the copied-export event (the source
	// account's default bus always does), e.g. the analytics account's bus,
	// imported with awsevents.EventBus_FromEventBusArn. Its resource policy
	// must admit this account. Default: the default bus only.
	DestinationEventBus awsevents.IEventBus

	// PollInterval between DescribeExportTasks calls; a finished export is
	// seen at most this long after it finishes. Default: 1 minute.
	PollInterval awscdk.Duration
	// ExportTimeout is how long to wait for the export task to finish before
	// failing the run. Default: 24 hours.
	ExportTimeout awscdk.Duration
	// Timeout of a whole run: the export wait plus the copy. Default: 48 hours.
	Timeout awscdk.Duration

	// LogLevel of the state machine's execution log. Default: ERROR.
	LogLevel awsstepfunctions.LogLevel
	// LogRetention of the execution log group. Default: one year.
	LogRetention awslogs.RetentionDays
}

const (
	maxHistoryEvents = 25000
	// eventsPerPoll is what one turn of the wait loop writes to the history:
	// WaitStateEntered/Exited, TaskStateEntered, TaskScheduled, TaskStarted,
	// TaskSucceeded, TaskStateExited, ChoiceStateEntered/Exited.
	eventsPerPoll = 9
	// eventsReserved covers everything but the wait loops: the other states
	// and the copy. Waiting for an export slot writes fewer events per minute
	// than polling (about 25 per quotaWaitSeconds), so the polling rate bounds both.
	eventsReserved = 1000
	// maxConcurrentExports is RDS's quota: "up to five concurrent DB snapshot
	// export tasks in progress per account" (Aurora user guide, export quotas).
	maxConcurrentExports = 5
	// quotaWaitSeconds is how long a start refused by the quota waits before
	// trying again; an export takes 15 minutes or more.
	quotaWaitSeconds = 300
	maxExportIDLen   = 60
	hashLen          = 10
	maxPrefixLen     = 20
)

var (
	// RDS DB identifiers: a letter, then letters, digits and single hyphens.
	dbIdentifierRE = regexp.MustCompile(`^[A-Za-z](?:-?[A-Za-z0-9])*$`)
	// Export task identifiers follow the same rule.
	exportIDPrefixRE = dbIdentifierRE
)

// settings are Props with defaults applied and values checked.
type settings struct {
	Props
	clusterIDs    []string
	instanceIDs   []string
	pollSeconds   int64
	exportSeconds int64
	timeout       awscdk.Duration
}

func (p *Props) settings() (*settings, error) {
	if p == nil {
		return nil, fmt.Errorf("rdsexport: props are required")
	}
	s := &settings{Props: *p}
	if p.ExportBucket == nil {
		return nil, fmt.Errorf("rdsexport: ExportBucket is required")
	}
	if p.ExportKey == nil {
		return nil, fmt.Errorf("rdsexport: ExportKey is required")
	}
	if p.CopyStateMachine == nil {
		return nil, fmt.Errorf("rdsexport: CopyStateMachine is required")
	}
	for _, c := range p.Clusters {
		s.clusterIDs = append(s.clusterIDs, *c.ClusterIdentifier())
	}
	for _, id := range p.ClusterIdentifiers {
		if err := checkDBIdentifier("cluster identifier", id); err != nil {
			return nil, err
		}
		s.clusterIDs = append(s.clusterIDs, id)
	}
	for _, i := range p.Instances {
		s.instanceIDs = append(s.instanceIDs, *i.InstanceIdentifier())
	}
	for _, id := range p.InstanceIdentifiers {
		if err := checkDBIdentifier("instance identifier", id); err != nil {
			return nil, err
		}
		s.instanceIDs = append(s.instanceIDs, id)
	}
	if len(s.clusterIDs)+len(s.instanceIDs) == 0 {
		return nil, fmt.Errorf("rdsexport: at least one source is required: set Clusters, ClusterIdentifiers, Instances or InstanceIdentifiers")
	}
	if err := checkS3Prefix(p.S3Prefix); err != nil {
		return nil, err
	}
	for _, e := range p.ExportOnly {
		if strings.TrimSpace(e) == "" || strings.Count(e, ".") > 2 && !sfnkit.Unresolved(e) {
			return nil, fmt.Errorf("rdsexport: ExportOnly entries must be \"database\", \"database.schema\" or \"database.schema.table\", got %q", e)
		}
	}
	if p.ExportIDPrefix != "" {
		if len(p.ExportIDPrefix) > maxPrefixLen || !exportIDPrefixRE.MatchString(p.ExportIDPrefix) {
			return nil, fmt.Errorf("rdsexport: export id prefix must start with a letter and hold at most %d letters, digits or single hyphens, not ending with a hyphen, got %q", maxPrefixLen, p.ExportIDPrefix)
		}
	}

	var err error
	poll := orDefault(p.PollInterval, awscdk.Duration_Minutes(jsii.Number(1)))
	if s.pollSeconds, err = sfnkit.Seconds("rdsexport: PollInterval", poll); err != nil {
		return nil, err
	}
	if s.pollSeconds < 10 {
		return nil, fmt.Errorf("rdsexport: PollInterval must be at least 10 seconds, got %s", *poll.ToHumanString())
	}
	exportTimeout := orDefault(p.ExportTimeout, awscdk.Duration_Hours(jsii.Number(24)))
	if s.exportSeconds, err = sfnkit.Seconds("rdsexport: ExportTimeout", exportTimeout); err != nil {
		return nil, err
	}
	s.timeout = orDefault(p.Timeout, awscdk.Duration_Hours(jsii.Number(48)))
	timeoutSeconds, err := sfnkit.Seconds("rdsexport: Timeout", s.timeout)
	if err != nil {
		return nil, err
	}
	if timeoutSeconds <= s.exportSeconds {
		return nil, fmt.Errorf("rdsexport: Timeout (%s) must be longer than ExportTimeout (%s) to leave time for the copy", *s.timeout.ToHumanString(), *exportTimeout.ToHumanString())
	}
	polls := (s.exportSeconds + s.pollSeconds - 1) / s.pollSeconds
	if events := polls*eventsPerPoll + eventsReserved; events > maxHistoryEvents {
		minPoll := s.exportSeconds * eventsPerPoll / (maxHistoryEvents - eventsReserved)
		return nil, fmt.Errorf("rdsexport: ExportTimeout %s with PollInterval %s needs up to %d history events per execution, over Step Functions' limit of %d: set PollInterval to at least %d seconds or shorten ExportTimeout",
			*exportTimeout.ToHumanString(), *poll.ToHumanString(), events, maxHistoryEvents, minPoll+1)
	}
	return s, nil
}

func checkDBIdentifier(what, id string) error {
	if sfnkit.Unresolved(id) {
		return nil
	}
	if len(id) > 63 || !dbIdentifierRE.MatchString(id) {
		return fmt.Errorf("rdsexport: %s must be 1-63 letters, digits or single hyphens starting with a letter and not ending with a hyphen, got %q", what, id)
	}
	return nil
}

func checkS3Prefix(prefix string) error {
	if prefix == "" || sfnkit.Unresolved(prefix) {
		return nil
	}
	switch {
	case strings.Contains(prefix, ":"):
		return fmt.Errorf("rdsexport: S3Prefix must not contain ':', got %q", prefix)
	case strings.HasPrefix(prefix, "/") || strings.HasSuffix(prefix, "/") || strings.Contains(prefix, "//"):
		return fmt.Errorf("rdsexport: S3Prefix must not start or end with '/' nor contain '//', got %q", prefix)
	case len(prefix) > 200:
		return fmt.Errorf("rdsexport: S3Prefix must be at most 200 characters, got %d", len(prefix))
	}
	return nil
}

func orDefault(d, def awscdk.Duration) awscdk.Duration {
	if d == nil {
		return def
	}
	return d
}
