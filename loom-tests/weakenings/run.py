#!/usr/bin/env python3
"""Proof that the loom models can fail: weaken the code on purpose, run the model
that guards it, check that it fails, restore the code.

Run from the repository root:  python3 loom-tests/weakenings/run.py [NAME...]
Each weakening is a (file, old text, new text) edit; the file is restored from git
afterwards, so run it on a clean tree. Prints one line per weakening: the model,
whether it failed as it must, and the first line of loom's report.
"""
import os, subprocess, sys

E, R, S = "executor/src/", "reactor/src/", "executor/src/sync/"
WEAKENINGS = [
    ("cas-to-store-in-wake", "executor", "invariant_1_two_concurrent_wakes_schedule_an_idle_task_once",
     "wake() reads the state, then stores SCHEDULED (no compare-and-swap)",
     [(E + "state.rs",
       "                SCHEDULED | NOTIFIED | COMPLETE => return OnWake::Covered,\n                s => unreachable!(\"no lifecycle state {s:#b}\"),\n            };\n            match self.0.compare_exchange_weak(current, next, AcqRel, Acquire) {\n                Ok(_) => return action,\n                Err(actual) => current = actual,\n            }",
       "                SCHEDULED | NOTIFIED | COMPLETE => return OnWake::Covered,\n                s => unreachable!(\"no lifecycle state {s:#b}\"),\n            };\n            self.0.store(next, std::sync::atomic::Ordering::Release);\n            let _ = &mut current;\n            return action;")]),
    ("notified-forgotten", "executor", "invariant_2_a_wake_during_the_poll_leads_to_exactly_one_more_poll",
     "after_pending() treats NOTIFIED like RUNNING: a wake during the poll is dropped",
     [(E + "state.rs", "NOTIFIED => (SCHEDULED, AfterPending::Reschedule)", "NOTIFIED => (IDLE, AfterPending::Idle)")]),
    ("complete-not-terminal", "executor", "invariant_3_a_wake_racing_completion_causes_no_poll_after_it",
     "COMPLETE is not terminal: wake() reschedules it and start() lets it run",
     [(E + "state.rs", "                SCHEDULED | NOTIFIED | COMPLETE => return OnWake::Covered,",
       "                COMPLETE => (SCHEDULED, OnWake::Schedule),\n                SCHEDULED | NOTIFIED => return OnWake::Covered,"),
      (E + "state.rs", "                COMPLETE => return OnStart::Finished,", "                COMPLETE => {}")]),
    ("detached-output-forgotten", "executor", "invariant_3_join_handle_dropped_concurrently_with_completion",
     "an output nobody will read is forgotten instead of dropped",
     [(E + "join.rs", "    if let Err(panic) = drop_catching(output) {", "    std::mem::forget(output);\n    if let Err(panic) = drop_catching(()) {")]),
    ("detached-mark-ignored", "executor", "invariant_6_a_panic_racing_the_handle_drop_is_reported_exactly_once",
     "the completion path ignores a handle that detached through the state: it delivers to the slot nobody reads",
     [(E + "header.rs", "Completed::Detached => discard(result, &self.meta, hook),", "Completed::Detached => self.join.deliver(result, &self.meta, hook),")]),
    ("abort-only-when-idle", "executor", "invariant_3_abort_racing_completion_keeps_exactly_one_outcome",
     "abort() ignores a task that is queued or running (only an IDLE task is cancelled)",
     [(E + "state.rs", "                _ => (current | CANCELLED, OnWake::Covered),", "                _ => return OnWake::Covered,")]),
    ("detach-skips-report", "executor", "invariant_6_a_panic_racing_the_handle_drop_is_reported_exactly_once",
     "a panic nobody will read is not reported",
     [(E + "join.rs", "        error.report_if_panic(hook);", "        let _ = (error, hook);")]),
    ("after-pending-ignores-abort", "executor", "invariant_3_abort_racing_a_pending_poll_cancels_exactly_once",
     "after_pending() ignores CANCELLED: an abort during a poll that returns Pending is lost",
     [(E + "state.rs", "            if current & CANCELLED != 0 {", "            if false {")]),
    ("release-after-handover", "executor", "invariant_4_the_registry_is_empty_once_every_handle_resolved",
     "the completion path hands the output over before the task leaves the registry",
     [(E + "header.rs", "        release();\n", ""),
      (E + "header.rs", "        self.join.deliver(result, &self.meta, hook);", "        self.join.deliver(result, &self.meta, hook);\n        release();")]),
    ("driver-not-handed-on", "executor", "the_driver_role_passes_on_when_its_holder_leaves_to_run_work",
     "the worker leaving the driver to run work does not wake an idle colleague to take the role",
     [(E + "worker.rs", "        if found_work && drove && scheduler.hands_off_at_once() {",
       "        if false && found_work && drove && scheduler.hands_off_at_once() {")]),
    ("no-recheck-before-park", "executor", "invariant_2_a_spawn_racing_a_parking_worker_is_not_lost",
     "a worker registers as idle and parks without looking at the injector again",
     [(E + "worker.rs", "        if !scheduler.injector.is_empty()\n            || scheduler.colleagues_have_work(index)\n            || scheduler.is_shutting_down()\n        {", "        if scheduler.is_shutting_down() {")]),
    ("spill-copies", "executor", "invariant_1_local_queue_spill_loses_no_task_and_runs_none_twice",
     "the spill copies the older half to the injector instead of moving it",
     [(E + "run_queue.rs", "let half = tasks.len().div_ceil(2);\n            for spilled in tasks.drain(..half) {",
       "let half = tasks.len().div_ceil(2);\n            for spilled in tasks.iter().take(half).cloned().collect::<Vec<_>>() {")]),
    ("steal-copies", "executor", "invariant_1_local_queue_spill_loses_no_task_and_runs_none_twice",
     "a thief copies the older half of a colleague's inbox instead of moving it",
     [(E + "scheduler.rs", "(half > 0).then(|| inbox.drain(..half).collect())", "(half > 0).then(|| inbox.iter().take(half).cloned().collect())")]),
    ("shutdown-keeps-injector-open", "executor", "invariant_4_shutdown_racing_a_wake_drops_every_future_once",
     "shutdown does not close the injector: a late wake queues the task in a dead runtime",
     [(E + "scheduler.rs", "        self.injector.close();\n", "")]),
    ("park-overwrites-notified", "executor", "invariant_2_block_on_woken_from_another_thread",
     "park stores PARKED over the state instead of a compare-and-swap from EMPTY",
     [(E + "park.rs", "        if self\n            .state\n            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)\n            .is_err()\n        {",
       "        self.state.store(PARKED_CONDVAR, SeqCst);\n        if false {")]),
    ("core-left-silently", "executor", "invariant_2_the_core_passes_to_a_block_on_waiting_for_it",
     "a current-thread block_on gives the core up without ringing the threads waiting for it",
     [(E + "current_thread.rs", "        self.scheduler.wake_block_on_waiters();\n", "")]),
    ("poller-leaves-silently", "reactor", "the_poller_leaving_hands_the_seat_to_a_standby",
     "the poller leaves the seat without waking the standbys",
     [(R + "poller.rs", "        drop(poller);\n", "        drop(poller);\n        #[allow(unreachable_code)]\n        return;\n")]),
    ("no-recheck-after-register", "reactor", "invariant_5_readiness_between_would_block_and_waker_registration_is_not_lost",
     "poll_ready stores the waker and returns Pending without re-checking readiness",
     [(R + "readiness.rs", "        match self.ready(direction) {\n            Some(event) => Poll::Ready(event),\n            None => Poll::Pending,\n        }",
       "        Poll::Pending")]),
    ("clear-ignores-tick", "reactor", "invariant_5_readiness_between_would_block_and_waker_registration_is_not_lost",
     "clear() forgets readiness without comparing ticks",
     [(R + "readiness.rs", "            if current >> TICK_SHIFT != event.tick {", "            if false {")]),
    ("token-without-generation", "reactor", "a_stale_event_never_reaches_a_source_that_reuses_the_slot",
     "a token is only the slab key: no generation check",
     [(R + "sources.rs", "(entry.generation == token.0 >> KEY_BITS).then_some(&entry.readiness)", "Some(&entry.readiness)")]),
    ("fire-check-then-act", "reactor", "a_timer_cancelled_while_firing_wakes_at_most_once_and_leaves_nothing",
     "fire_due() looks at the first entry, unlocks, then removes it expecting it still there",
     [(R + "timers.rs", "                due.push(entry.remove());",
       "                let key = *entry.key();\n                drop(inner);\n                due.push(lock(&self.inner).entries.remove(&key).expect(\"the entry we just saw\"));\n                inner = lock(&self.inner);")]),
    ("try-take-ignores-count", "sync", "invariant_7_a_permit_is_held_by_one_task_at_a_time",
     "an acquire with nobody in line takes a permit whether or not one is left",
     [(S + "semaphore.rs", "let fits = self.line.is_empty() && self.permits >= needed;", "let fits = self.line.is_empty();"),
      (S + "semaphore.rs", "            self.permits -= needed;\n", "            self.permits = self.permits.wrapping_sub(needed);\n")]),
    ("cancelled-acquire-keeps-permit", "sync", "invariant_7_a_cancelled_acquire_passes_its_permit_on",
     "an acquire dropped after it was served keeps its permits",
     [(S + "semaphore.rs", "            state.permits += self.needed;\n", "")]),
    ("guard-releases-first", "sync", "invariant_7_the_mutex_value_is_home_for_the_next_holder",
     "a MutexGuard gives the permit back before it puts the value back",
     [(S + "mutex.rs", "        *lock(&self.value) = value;\n        self.semaphore.release(1);",
       "        self.semaphore.release(1);\n        *lock(&self.value) = value;")]),
    ("reader-releases-before-its-clone", "sync", "invariant_7_a_writer_never_meets_a_reader",
     "a read guard gives its permit back before it drops its clone of the value",
     [(S + "rwlock.rs", "        drop(self.value.take());\n        self.lock.semaphore.release(1);",
       "        let value = self.value.take();\n        self.lock.semaphore.release(1);\n        drop(value);")]),
    ("notify-without-permit", "sync", "invariant_7_notify_one_racing_the_waiter_is_not_lost",
     "notify_one with nobody in line stores no permit",
     [(S + "notify.rs", "                self.permit = true;\n", "")]),
    ("chosen-dropped-silently", "sync", "invariant_7_a_chosen_waiter_dropped_unseen_passes_the_notification_on",
     "a waiter chosen by notify_one and dropped unseen does not pass the notification on",
     [(S + "notify.rs", "let next = if left.is_none() && state.chosen.remove(&ticket) {", "let next = if false {")]),
    ("oneshot-sender-leaves-silently", "sync", "invariant_7_a_oneshot_receiver_learns_of_a_sender_dropped_unsent",
     "a oneshot sender dropped unsent does not wake the receiver",
     [(S + "oneshot.rs", "        // taken already and this is `None`.)\n        let receiver = slot.receiver.take();",
       "        // taken already and this is `None`.)\n        let receiver: Option<Waker> = None;")]),
    ("recv-keeps-room", "sync", "invariant_7_bounded_mpsc_senders_get_room_back_from_the_receiver",
     "a receive does not give the message's room back to the senders",
     [(S + "mpsc.rs", "room.add_permits(1); // a sender waiting for room goes on", "let _ = room;")]),
    ("last-sender-leaves-silently", "sync", "invariant_7_a_broadcast_receiver_accounts_for_every_message_then_closes",
     "the last broadcast sender leaving does not wake waiting receivers",
     [(S + "broadcast.rs", "if ring.senders == 0 {", "if false {")]),
    ("watch-send-wakes-nobody", "sync", "invariant_7_a_watch_send_wakes_the_waiting_receiver",
     "a watch send moves the version but wakes nobody",
     [(S + "watch.rs", "            state.version += 1;\n            state.line.drain().collect()", "            state.version += 1;\n            Vec::new()")]),
    ("leader-wakes-nobody", "sync", "invariant_7_a_barrier_round_releases_everyone_with_one_leader",
     "the last arrival releases the round without waking those in line",
     [(S + "barrier.rs", "let everyone: Vec<Waker> = state.line.drain().collect();", "let everyone: Vec<Waker> = Vec::new();")]),
]

def run(name, suite, model, what, edits):
    try:
        for path, old, new in edits:
            text = open(path).read()
            assert text.count(old) == 1, f"{name}: the text to weaken is not unique in {path}"
            open(path, "w").write(text.replace(old, new))
        env = dict(os.environ, RUSTFLAGS="--cfg loom", RUST_BACKTRACE="0")
        p = subprocess.run(["cargo", "test", "--release", "-q", "-p", "turtles-loom-tests", "--target-dir", "target/loom",
                            "--test", suite, model, "--", "--exact"], env=env, capture_output=True, text=True, timeout=900)
        out = p.stdout + p.stderr
        # A failed assertion ends in "test result: FAILED"; a deadlock found by loom
        # aborts the test binary. Either way the exit status is non-zero.
        failed = p.returncode != 0 and "error: could not compile" not in out
        reason = next((l.strip() for l in out.splitlines()
                       if ("panicked at" not in l and l.strip() and any(k in l for k in
                           ("assert", "left:", "deadlock", "Deadlock", "leak", "Leak", "unreachable", "expect", "must", "explored:", "lost", "woke", "SCHEDULED", "exceeded")))), "")
        print(f"{name:28} {model:80} {'FAILS as it must' if failed else 'PASSED (model too weak!)'} | {what} | {reason[:160]}", flush=True)
    finally:
        for path in {e[0] for e in edits}:
            subprocess.run(["git", "checkout", "-q", "--", path])

if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    for w in WEAKENINGS:
        if not wanted or w[0] in wanted:
            run(*w)
