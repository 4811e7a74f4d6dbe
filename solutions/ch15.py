"""Reference solutions of chapter 15's exercises (try first!)."""

from __future__ import annotations

from dslib.raft import Entry, RequestVote

__all__ = ["append_entries", "grant_vote", "new_commit_index"]

Log = tuple[Entry, ...]


def grant_vote(current_term: int, voted_for: str | None, log: Log, msg: RequestVote) -> bool:
    """Current term, one vote per term, and the candidate's log at least as up-to-date."""
    my_last = (log[-1].term if log else 0, len(log))
    candidate_last = (msg.last_log_term, msg.last_log_index)
    return (
        msg.term == current_term
        and voted_for in (None, msg.candidate_id)
        and candidate_last >= my_last  # last term first, then length
    )


def append_entries(log: Log, prev_log_index: int, prev_log_term: int, entries: Log) -> Log | None:
    """The consistency check, then truncate at the first conflict and append what is new."""
    if prev_log_index > len(log):
        return None
    if prev_log_index > 0 and log[prev_log_index - 1].term != prev_log_term:
        return None
    new_log = log
    for i, entry in enumerate(entries):
        index = prev_log_index + 1 + i
        if index <= len(new_log):
            if new_log[index - 1].term == entry.term:
                continue  # already there (same index and term: the same entry)
            new_log = new_log[: index - 1]  # a conflict: delete it and all that follow
        new_log = (*new_log, entry)
    return new_log


def new_commit_index(
    log: Log, current_term: int, commit_index: int, match_indexes: tuple[int, ...]
) -> int:
    """The largest N > commit_index on a majority whose entry is of the current term."""
    majority = len(match_indexes) // 2 + 1
    for n in range(len(log), commit_index, -1):
        on_majority = sum(1 for m in match_indexes if m >= n) >= majority
        if on_majority and log[n - 1].term == current_term:
            return n
    return commit_index
