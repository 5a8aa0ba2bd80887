package rdsexport

import (
	"fmt"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
)

// exportIDExpr is the JSONata expression for the export task identifier of
// the snapshot in a snapshot-created event ($states.input). It is a pure
// function of the snapshot: the snapshot id lowercased, every run of other
// characters than letters and digits turned into one hyphen (so "rds:" and
// "awsbackup:" become "rds-" and "awsbackup-"), cut to fit, then a hash of the
// snapshot ARN so that ids that sanitise alike, and a cluster and an instance
// snapshot of the same name, stay distinct. The result starts with a letter,
// holds letters, digits and single hyphens, never ends with a hyphen, and is
// at most 60 characters: what StartExportTask accepts.
func exportIDExpr(prefix string) string {
	head := ""
	if prefix != "" {
		head = prefix + "-"
	}
	return fmt.Sprintf(`(
  $body := $replace($replace($lowercase($states.input.detail.SourceIdentifier), /[^a-z0-9]+/, '-'), /^-+/, '');
  $head := %s;
  $head := ($head = '' and $not($contains($substring($body, 0, 1), /[a-z]/))) ? 's-' : $head;
  $body := $replace($substring($body, 0, %d - $length($head)), /-+$/, '');
  $head & ($body = '' ? '' : $body & '-') & $substring($lowercase($hash($states.input.detail.SourceArn, 'SHA-256')), 0, %d)
)`, sfnkit.Quote(head), maxExportIDLen-hashLen-1, hashLen)
}

// snapshotTypeExpr maps a snapshot id to DescribeDB*Snapshots' SnapshotType,
// which RDS requires alongside the id of an automated snapshot. AWS Backup
// snapshots ("awsbackup:…") are "awsbackup" for DescribeDBSnapshots, but
// DescribeDBClusterSnapshots accepts only automated, manual, shared and
// public, and the Aurora user guide (Aurora.Managing.Backups, "Using AWS
// Backup") says: "Snapshots managed by AWS Backup are considered manual DB
// cluster snapshots".
func snapshotTypeExpr(cluster bool) string {
	backup := "awsbackup"
	if cluster {
		backup = "manual"
	}
	return fmt.Sprintf(`(
  $id := $states.input.detail.SourceIdentifier;
  $startsWith := function($s, $p) { $substring($s, 0, $length($p)) = $p };
  $startsWith($id, 'rds:') ? 'automated' : $startsWith($id, 'awsbackup:') ? %s : 'manual'
)`, sfnkit.Quote(backup))
}

// validEventExpr holds for a snapshot event the state machine can read.
const validEventExpr = `$type($states.input.detail) = 'object'
  and $type($states.input.detail.SourceArn) = 'string' and $states.input.detail.SourceArn != ''
  and $type($states.input.detail.SourceIdentifier) = 'string' and $states.input.detail.SourceIdentifier != ''`

// snapshotAssign is what the Describe states remember of the snapshot.
// result is the JSONata path of the described snapshot, source the field
// naming its cluster or instance.
func snapshotAssign(kind, result, source, exportIDPrefix string) map[string]interface{} {
	return map[string]interface{}{
		"snapshot": sfnkit.Expr(fmt.Sprintf(`{
  'sourceType': '%s',
  'snapshotId': $states.input.detail.SourceIdentifier,
  'snapshotArn': $states.input.detail.SourceArn,
  'sourceIdentifier': %s.%s,
  'engine': %s.Engine,
  'engineVersion': %s.EngineVersion,
  'snapshotCreateTime': %s.SnapshotCreateTime
}`, kind, result, source, result, result, result)),
		"exportTaskIdentifier": sfnkit.Expr(exportIDExpr(exportIDPrefix)),
	}
}

// deadlineAssign remembers when waiting for the export stops: the export
// timeout counted from when the export was first asked for.
func deadlineAssign(exportSeconds int64) map[string]interface{} {
	return map[string]interface{}{
		"exportDeadline": sfnkit.Expr(fmt.Sprintf("$toMillis($states.context.State.EnteredTime) + %d", exportSeconds*1000)),
	}
}
