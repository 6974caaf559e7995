"""Heartbeats for Optuna's journal-file storage, which has none of its own (Optuna 5.1 gives them to
RDBStorage only): a worker killed mid-trial (SIGKILL, a crash, a lost machine) leaves its trial RUNNING;
the next worker to start a trial finds it stale, fails it and, through the retry callback, re-runs its
settings.
"""
from __future__ import annotations

import time

HEARTBEAT_ATTR = "npnn:heartbeat"  # a trial system attribute: the time.time() of its worker's last heartbeat


def heartbeat_journal(backend, interval: int, grace_period: int, stale_trial_callback):
    """A JournalStorage on `backend` whose running trials beat every `interval` s and are stale after
    `grace_period` s without a beat."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages import JournalStorage
    from optuna.storages._heartbeat import BaseHeartbeat
    from optuna.trial import TrialState

    class HeartbeatJournalStorage(JournalStorage, BaseHeartbeat):
        def record_heartbeat(self, trial_id: int) -> None:
            try:
                self.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, time.time())
            except UpdateFinishedTrialError:
                pass  # NOTE: another worker failed this trial as stale (this one was stalled for too long)

        def _get_stale_trial_ids(self, study_id: int) -> list[int]:
            now = time.time()
            running = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))
            # NOTE: a retried trial inherits the failed one's system attributes, its old heartbeat among
            # them; its own start time counts as its first beat.
            return [trial._trial_id for trial in running
                    if now - max(trial.system_attrs.get(HEARTBEAT_ATTR, 0.0),
                                 trial.datetime_start.timestamp())  # type: ignore[union-attr]  # NOTE: RUNNING: started
                    > grace_period]

        def get_heartbeat_interval(self) -> int:
            return interval

        def get_heartbeat_stale_trial_callback(self):
            return stale_trial_callback

    return HeartbeatJournalStorage(backend)
