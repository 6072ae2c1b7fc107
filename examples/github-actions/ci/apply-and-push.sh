#!/bin/sh
# The apply step of the CI recipes (GitHub Actions and GitLab CI), safe when
# pipelines race: run it one at a time (the recipes' `concurrency:` group or
# `resource_group:`), on a clone whose remote can be pushed to.
#
# 1. Plan on the merged main branch, not on the commit that started the run:
#    other merges, and the lockfile commits of earlier runs, may have landed.
# 2. Apply that plan. Even when apply fails half-way, what it uploaded is in
#    the lockfile and is committed below.
# 3. Push the lockfile. A push refused because main moved is retried after a
#    fetch and a rebase, which merges the lockfile entry by entry with the
#    `wxmedia state merge` driver (.gitattributes). If it still cannot push,
#    the job fails loudly and prints the lockfile, so no ID is lost.
#
# Settings (environment): WXMEDIA_BRANCH (main), WXMEDIA_REMOTE (origin),
# WXMEDIA_ENV (none; selects an environment of the manifest),
# WXMEDIA_LOCKFILE (wxmedia.lock.json, or wxmedia.$WXMEDIA_ENV.lock.json),
# WXMEDIA_PUSH_TRIES (5).
set -eu
branch=${WXMEDIA_BRANCH:-main}
remote=${WXMEDIA_REMOTE:-origin}
lockfile=${WXMEDIA_LOCKFILE:-wxmedia${WXMEDIA_ENV:+.$WXMEDIA_ENV}.lock.json}
tries=${WXMEDIA_PUSH_TRIES:-5}

git config merge.wxmedia.name "wxmedia lockfile merge"
git config merge.wxmedia.driver "wxmedia state merge %O %A %B"
git config user.name >/dev/null || git config user.name "wxmedia"
git config user.email >/dev/null || git config user.email "wxmedia@users.noreply.github.com"

git fetch -q "$remote" "$branch"
git checkout -q -B "$branch" "$remote/$branch"

wxmedia plan -out wxmedia.plan
status=0
wxmedia apply wxmedia.plan || status=$?

lost() {
	echo "wxmedia: $1. The lockfile with every ID this run recorded follows; commit it by hand (the CI job also keeps it as an artifact):" >&2
	cat "$lockfile" >&2
	exit 1
}

if [ -n "$(git status --porcelain -- "$lockfile")" ]; then
	git add "$lockfile"
	git commit -q -m "wxmedia: record uploaded media IDs [skip ci]"
	n=1
	until git push -q "$remote" "HEAD:$branch"; do
		if [ "$n" -ge "$tries" ]; then
			lost "could not push $lockfile to $remote/$branch after $n tries"
		fi
		n=$((n + 1))
		echo "wxmedia: $remote/$branch moved on; merging its lockfile and pushing again (try $n of $tries)" >&2
		git fetch -q "$remote" "$branch"
		if ! git rebase -q "$remote/$branch"; then
			git rebase --abort || true
			lost "$lockfile conflicts with $remote/$branch (see the merge driver's message above)"
		fi
		sleep "$n"
	done
fi
exit "$status"
