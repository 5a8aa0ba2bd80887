package s3copy

import (
	"fmt"

	"github.com/snapshotlake/snapshotlake/constructs/internal/sfnkit"
)

// The copy state machine's JSONata, one function per computed value so each
// can be read, and tested, on its own. Everything below "<schema.table>/" in
// an export key is opaque (AWS says the file naming may change), so keys are
// rewritten by folder, not by fixed positions.

// planExpr turns the copy input into the plan every child receives: where
// the export lies and how destination keys are built.
func planExpr(s *settings) string {
	return fmt.Sprintf(`{
  'exportTaskIdentifier': $states.input.exportTaskIdentifier,
  'exportRoot': (
    $p := $replace($exists($states.input.s3Prefix) ? $states.input.s3Prefix : '', /\/+$/, '');
    ($p = '' ? '' : $p & '/') & $states.input.exportTaskIdentifier & '/'
  ),
  'partition': %s & '=' & $fromMillis($toMillis($states.input.snapshotTime), %s),
  'sourceIdentifier': $states.input.sourceIdentifier,
  'destinationPrefix': %s,
  'metadataPrefix': %s
}`, sfnkit.Quote(s.PartitionKey), sfnkit.Quote(s.PartitionValuePicture),
		sfnkit.Quote(s.destinationPrefix()), sfnkit.Quote(s.MetadataPrefix))
}

// validInputExpr holds when the copy input names an export and its time.
const validInputExpr = `$type($states.input.exportTaskIdentifier) = 'string' and $states.input.exportTaskIdentifier != ''
  and $type($states.input.snapshotTime) = 'string' and $type($states.input.sourceIdentifier) = 'string'`

// kindFn classifies a key below $root: "data" and "marker" (a _SUCCESS file)
// live in a table folder "<database>/<schema.table>/…"; anything else, such
// as export_info_*.json at the export root, is "metadata".
const kindFn = `function($k) {(
    $rel := $substringAfter($k, $root);
    ($contains($rel, '/') and $contains($substringAfter($rel, '/'), '/'))
      ? ($split($rel, '/')[-1] = '_SUCCESS' ? 'marker' : 'data')
      : 'metadata'
  )}`

// selectItemsExpr picks the items of a Distributed Map batch that pred
// accepts; pred sees $kind($o.Key) and $o.Size. Always an array.
func selectItemsExpr(pred string) string {
	return fmt.Sprintf(`(
  $root := $states.input.BatchInput.plan.exportRoot;
  $kind := %s;
  $append([], $filter($states.input.Items, function($o) { %s }))
)`, kindFn, pred)
}

// Predicates of the three passes over the export.
func smallDataPred(threshold int64) string {
	return fmt.Sprintf(`$kind($o.Key) = 'data' and $o.Size <= %d`, threshold)
}

func largeDataPred(threshold int64) string {
	return fmt.Sprintf(`$kind($o.Key) = 'data' and $o.Size > %d`, threshold)
}

const markerOrMetadataPred = `$kind($o.Key) != 'data'`

// itemSelectorExpr is what one copy iteration sees: the object and the plan.
const itemSelectorExpr = `{
  'key': $states.context.Map.Item.Value.Key,
  'size': $states.context.Map.Item.Value.Size,
  'plan': $states.input.BatchInput.plan
}`

// destinationKeyExpr rewrites the source key at keyPath with the plan at
// planPath:
//
//	[S3Prefix/]<id>/<db>/<schema.table>/<rest>  →  [dest/]<db>/<schema.table>/<partition>/<rest>
//	[S3Prefix/]<id>/<file>                      →  [dest/]<metadata>/<source>/<partition>/<file>
func destinationKeyExpr(keyPath, planPath string) string {
	return fmt.Sprintf(`(
  $plan := %s;
  $rel := $substringAfter(%s, $plan.exportRoot);
  $afterDb := $substringAfter($rel, '/');
  $plan.destinationPrefix & (
    ($contains($rel, '/') and $contains($afterDb, '/'))
      ? $substringBefore($rel, '/') & '/' & $substringBefore($afterDb, '/') & '/' & $plan.partition & '/' & $substringAfter($afterDb, '/')
      : $plan.metadataPrefix & '/' & $plan.sourceIdentifier & '/' & $plan.partition & '/' & $rel
  )
)`, planPath, keyPath)
}

// copySourceExpr is CopySource for the key at keyPath: "<bucket>/<key>" with
// every path segment URL-encoded, as S3 decodes it.
func copySourceExpr(bucket, keyPath string) string {
	return fmt.Sprintf(`%s & '/' & $join($map($split(%s, '/'), $encodeUrlComponent), '/')`, sfnkit.Quote(bucket), keyPath)
}

// partsExpr splits the object of $states.input.size bytes into UploadPartCopy
// ranges: parts of a whole number of MiB, at least 64 MiB and at most 5 GiB,
// so that no object up to S3's 5 TiB needs more than 1,024 parts (S3 allows
// 10,000), which keeps a multipart execution far below 25,000 history events.
const partsExpr = `(
  $size := $states.input.size;
  $partSize := $min([5368709120, $max([67108864, $ceil($size / 1000 / 1048576) * 1048576])]);
  $count := $ceil($size / $partSize);
  $append([], $map([0..($count - 1)], function($i) {{
    'PartNumber': $i + 1,
    'CopySourceRange': 'bytes=' & $string($i * $partSize) & '-' & $string($min([($i + 1) * $partSize, $size]) - 1)
  }}))
)`

// passTotalsExpr sums what the children of a Distributed Map report.
//
//nolint:gosec // G101 mistakes this JSONata for a credential
const passTotalsExpr = `{
  'listed': $sum($append([], $states.result.listed)),
  'copied': $sum($append([], $states.result.copied)),
  'large': $sum($append([], $states.result.large)),
  'tables': $append([], $distinct($append([], $states.result.tables)))
}`

// tablesExpr lists the "<database>/<schema.table>" folders of the _SUCCESS
// markers of a batch: few per table, so the Distributed Map's result stays
// small whatever the export's size.
const tablesExpr = `(
  $root := $states.input.BatchInput.plan.exportRoot;
  $append([], $distinct($states.input.Items[$split(Key, '/')[-1] = '_SUCCESS'].(
    $rel := $substringAfter(Key, $root);
    $afterDb := $substringAfter($rel, '/');
    ($contains($rel, '/') and $contains($afterDb, '/')) ? $substringBefore($rel, '/') & '/' & $substringBefore($afterDb, '/')
  )))
)`

// childTotalsExpr is what one child reports: objects it was given, objects
// it copied, and data files it left to the multipart pass.
func childTotalsExpr(threshold int64) string {
	return fmt.Sprintf(`{
  'listed': $count($states.input.Items),
  'copied': $count($states.result),
  'large': $count(%s)
}`, selectItemsExpr(largeDataPred(threshold)))
}
