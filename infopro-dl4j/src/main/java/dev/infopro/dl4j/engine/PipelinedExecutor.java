package dev.infopro.dl4j.engine;

import dev.infopro.dl4j.backend.NativeThreads;
import dev.infopro.dl4j.engine.PipelineMessages.Job;
import dev.infopro.dl4j.engine.PipelineMessages.Report;
import dev.infopro.dl4j.engine.PipelineMessages.Sync;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs the K modules concurrently, each on its own worker thread, with bounded queues of (h_k, labels, target)
 * between them: while module k+1 works on batch t, module k already works on batch t+1.
 *
 * <p><b>Exact, not approximate.</b> Module k+1's step on batch t needs only h_k(t), which module k computes before
 * its own update on batch t, and no gradient flows back; each worker takes its batches in order and updates its
 * module before the next one. So every module sees exactly the inputs and weights it sees under
 * {@link SequentialExecutor}, and the parameters after N batches are the same (bitwise where the ops are
 * deterministic and the thread counts per op equal).
 *
 * <p><b>A rejected batch updates no module.</b> Workers run ahead of the batches the last module has finished, so a
 * module may already have updated with batch t when a later module finds batch t non-finite. Each worker therefore
 * keeps a {@link ModuleTrainer.Snapshot} of its module from before every batch that is not yet finished by all
 * modules. When a batch is rejected or a worker fails, the coordinator (the calling thread) stops the pipeline,
 * waits until every worker is idle, puts every module back to its state before that batch, and then applies the
 * policy: it stops (the exception names the module, epoch and iteration) or skips the batch and feeds the later
 * batches again. The snapshots cost one copy of a module's parameters and updater state per batch in flight.
 *
 * <p><b>Threads.</b> Each worker limits the native ops it starts to {@code threadsPerWorker} threads (by default the
 * cores divided among the K workers, at least 1), so K workers do not oversubscribe the machine. Where several
 * devices exist, worker k runs on the device {@link DevicePlacement} gives it. Listeners of the model hear of
 * batches in order from the calling thread; DL4J listeners attached to the module graphs are called on the
 * workers' threads, and also for steps that are later undone.
 */
public final class PipelinedExecutor implements ModuleExecutor {
    /** How long a stopping pipeline may take to become idle before it is reported as hung. */
    private static final long QUIESCE_TIMEOUT_MS = 10 * 60 * 1000L;

    private final int depth;
    private final int threadsPerWorker;
    private final SequentialExecutor single = new SequentialExecutor();

    /**
     * @param depth            batches each queue between two modules holds, at least 1
     * @param threadsPerWorker native threads per worker, or 0 for the cores divided among the workers
     */
    public PipelinedExecutor(int depth, int threadsPerWorker) {
        if (depth < 1) {
            throw new IllegalArgumentException("pipeline depth must be >= 1, got " + depth);
        }
        if (threadsPerWorker < 0) {
            throw new IllegalArgumentException("threadsPerWorker must be >= 0 (0: automatic), got " + threadsPerWorker);
        }
        this.depth = depth;
        this.threadsPerWorker = threadsPerWorker;
    }

    /** The native threads each of {@code workers} workers gets on a machine with {@code cores} cores. */
    static int threadsPerWorker(int cores, int workers, int requested) {
        return requested > 0 ? requested : Math.max(1, cores / Math.max(1, workers));
    }

    /** A single batch has nothing to overlap with: it runs as {@link SequentialExecutor} runs it. */
    @Override
    public StepOutcome step(List<ModuleTrainer> trainers, INDArray[] features, INDArray[] labels,
                            ReconstructionTarget target, int iteration, int epoch) {
        return single.step(trainers, features, labels, target, iteration, epoch);
    }

    @Override
    public void run(List<ModuleTrainer> trainers, Iterator<Batch> batches, ReconstructionTarget target, int epoch,
                    BatchSink sink) {
        if (trainers.size() == 1) {
            ModuleExecutor.super.run(trainers, batches, target, epoch, sink);
            return;
        }
        int threads = threadsPerWorker(Runtime.getRuntime().availableProcessors(), trainers.size(),
                threadsPerWorker);
        new Pipeline(trainers, target, epoch, threads).run(batches, sink);
    }

    // ------------------------------------------------------------------------------------------------ one run

    /** The workers and the coordinator of one {@link #run}. */
    private final class Pipeline {
        private final List<ModuleTrainer> trainers;
        private final ReconstructionTarget target;
        private final int epoch;
        private final int threads;
        private final int k;
        private final List<BlockingQueue<Object>> queues = new ArrayList<>();
        private final BlockingQueue<Report> reports = new LinkedBlockingQueue<>();
        private final List<Map<Long, ModuleTrainer.Snapshot>> snapshots = new ArrayList<>();
        private final Thread[] workers;
        private volatile int generation;

        Pipeline(List<ModuleTrainer> trainers, ReconstructionTarget target, int epoch, int threads) {
            this.trainers = trainers;
            this.target = target;
            this.epoch = epoch;
            this.threads = threads;
            this.k = trainers.size();
            this.workers = new Thread[k];
            for (int m = 0; m < k; m++) {
                queues.add(new java.util.concurrent.ArrayBlockingQueue<>(depth));
                snapshots.add(new java.util.concurrent.ConcurrentHashMap<>());
            }
        }

        void run(Iterator<Batch> source, BatchSink sink) {
            int devices = Nd4j.getAffinityManager().getNumberOfDevices();
            int masterThreads = Nd4j.getEnvironment().maxMasterThreads();
            int maxThreads = Nd4j.getEnvironment().maxThreads();
            Nd4j.getEnvironment().setMaxMasterThreads(threads);
            Nd4j.getEnvironment().setMaxThreads(threads);
            for (int m = 0; m < k; m++) {
                final int module = m;
                final int device = DevicePlacement.deviceFor(m, k, devices);
                workers[m] = new Thread(() -> work(module, device), "infopro-module-" + m);
                workers[m].setDaemon(true);
                workers[m].start();
            }
            Deque<Job> inflight = new ArrayDeque<>();
            try {
                coordinate(source, sink, inflight);
            } catch (RuntimeException | Error e) {
                abandon(inflight, e);
                throw e;
            } finally {
                shutdown();
                Nd4j.getEnvironment().setMaxMasterThreads(masterThreads);
                Nd4j.getEnvironment().setMaxThreads(maxThreads);
            }
        }

        private void coordinate(Iterator<Batch> source, BatchSink sink, Deque<Job> inflight) {
            Deque<Batch> replay = new ArrayDeque<>();
            Map<Long, Report> outcomes = new HashMap<>();
            int limit = k * (depth + 1);
            long seq = 0;
            RuntimeException sourceError = null;
            while (true) {
                while (sourceError == null && inflight.size() < limit && (!replay.isEmpty() || source.hasNext())) {
                    Batch b;
                    try {
                        b = replay.isEmpty() ? source.next() : replay.poll();
                    } catch (RuntimeException e) {
                        // the batches before it finish first, as they would have one after another
                        sourceError = e;
                        break;
                    }
                    Job j = newJob(seq++, sink.iteration() + inflight.size(), b);
                    inflight.add(j);
                    put(queues.get(0), j);
                }
                if (inflight.isEmpty()) {
                    if (sourceError != null) {
                        throw sourceError;
                    }
                    return;
                }
                Job head = inflight.peek();
                Report r = outcomes.remove(head.seq);
                while (r == null) {
                    Report next = take();
                    if (!next.isSync() && next.job.generation == generation) {
                        outcomes.put(next.job.seq, next);
                    }
                    r = outcomes.remove(head.seq);
                }
                if (r.rejected == null && r.failure == null) {
                    inflight.poll();
                    commit(head.seq);
                    head.release();
                    sink.accept(new StepOutcome(head.scores.clone(), -1, null, head.seconds.clone()));
                    continue;
                }
                // Batch head was rejected or failed: stop, undo every step from head on, then apply the policy.
                quiesce();
                outcomes.clear();
                rollback(head.seq);
                inflight.poll();
                List<Batch> later = new ArrayList<>();
                head.release();
                for (Job j : inflight) {
                    later.add(j.batch);
                    j.release();
                }
                inflight.clear();
                if (r.failure != null) {
                    throw failure(r, head);
                }
                double[] scores = head.scores.clone();
                scores[r.module] = r.rejected.getScore();
                java.util.Arrays.fill(scores, r.module + 1, scores.length, Double.NaN);
                sink.accept(new StepOutcome(scores, r.module, r.rejected.getNonFinite()));
                for (int i = later.size() - 1; i >= 0; i--) {
                    replay.addFirst(later.get(i));
                }
            }
        }

        private Job newJob(long seq, int iteration, Batch b) {
            List<INDArray> transients = new ArrayList<>();
            SequentialExecutor.ModuleLabels ml = new SequentialExecutor.ModuleLabels(b.getFeatures()[0],
                    b.getLabels(), target, transients);
            INDArray[][] labels = new INDArray[k][];
            for (int m = 0; m < k; m++) {
                labels[m] = ml.of(trainers.get(m).getSpec());
            }
            Job j = new Job(seq, generation, iteration, b, labels, k);
            j.transients.addAll(transients);
            return j;
        }

        private RuntimeException failure(Report r, Job job) {
            Throwable e = r.failure;
            if (ModuleOutOfMemoryException.isOutOfMemory(e)) {
                return new ModuleOutOfMemoryException(r.module, k, job.batch.size(), e);
            }
            return new IllegalStateException("Module " + r.module + " failed at epoch " + epoch + ", iteration "
                    + job.iteration + " (pipelined execution; no module keeps an update from this batch): " + e,
                    e);
        }

        /**
         * The run stops with {@code cause} while batches are in flight: waits until the workers are idle, undoes the
         * steps of every batch not yet reported, and frees them, so the model is as after the last reported batch.
         */
        private void abandon(Deque<Job> inflight, Throwable cause) {
            if (inflight.isEmpty()) {
                return;
            }
            try {
                quiesce();
                rollback(inflight.peek().seq);
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
            for (Job j : inflight) {
                j.release();
            }
            inflight.clear();
        }

        /** Batch {@code seq} is done by every module: nothing before it can be undone any more. */
        private void commit(long seq) {
            for (Map<Long, ModuleTrainer.Snapshot> s : snapshots) {
                ModuleTrainer.Snapshot snap = s.remove(seq);
                if (snap != null) {
                    snap.close();
                }
            }
        }

        /** Puts every module back to its state before batch {@code seq}; all workers are idle. */
        private void rollback(long seq) {
            for (int m = 0; m < k; m++) {
                Map<Long, ModuleTrainer.Snapshot> s = snapshots.get(m);
                ModuleTrainer.Snapshot first = null;
                long firstSeq = Long.MAX_VALUE;
                for (Map.Entry<Long, ModuleTrainer.Snapshot> e : s.entrySet()) {
                    if (e.getKey() >= seq && e.getKey() < firstSeq) {
                        firstSeq = e.getKey();
                        first = e.getValue();
                    }
                }
                if (first != null) {
                    trainers.get(m).restore(first);
                }
                for (ModuleTrainer.Snapshot snap : s.values()) {
                    snap.close();
                }
                s.clear();
                trainers.get(m).discardGradient();
            }
        }

        /** Makes every worker drop what it has queued and waits until all are idle. */
        private void quiesce() {
            int g = ++generation;
            put(queues.get(0), new Sync(g));
            long deadline = System.currentTimeMillis() + QUIESCE_TIMEOUT_MS;
            while (true) {
                Report r = poll(deadline);
                if (r.isSync() && r.syncGeneration == g) {
                    return;
                }
            }
        }

        private void shutdown() {
            generation++;
            for (BlockingQueue<Object> q : queues) {
                q.clear();
                q.offer(PipelineMessages.STOP);
            }
            for (Thread t : workers) {
                if (t == null) {
                    continue;
                }
                try {
                    t.join(TimeUnit.SECONDS.toMillis(60));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }

        private Report take() {
            return poll(Long.MAX_VALUE);
        }

        // Waits for the next report, checking that every worker is still alive, so that nothing hangs.
        private Report poll(long deadline) {
            try {
                while (true) {
                    Report r = reports.poll(200, TimeUnit.MILLISECONDS);
                    if (r != null) {
                        return r;
                    }
                    requireWorkersAlive();
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("The module pipeline did not stop within "
                                + QUIESCE_TIMEOUT_MS / 1000 + " s at epoch " + epoch);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while training modules in a pipeline", e);
            }
        }

        // A dead worker would leave the coordinator waiting forever: report it instead.
        private void requireWorkersAlive() {
            for (int m = 0; m < k; m++) {
                if (!workers[m].isAlive()) {
                    throw new IllegalStateException("The worker thread of module " + m + " ended unexpectedly"
                            + " at epoch " + epoch);
                }
            }
        }

        private void put(BlockingQueue<Object> q, Object o) {
            try {
                while (!q.offer(o, 200, TimeUnit.MILLISECONDS)) {
                    requireWorkersAlive();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while training modules in a pipeline", e);
            }
        }

        // ------------------------------------------------------------------------------------------------ worker

        private void work(int m, int device) {
            ModuleTrainer trainer = trainers.get(m);
            boolean last = m == k - 1;
            try {
                if (device >= 0) {
                    Nd4j.getAffinityManager().unsafeSetDevice(device);
                }
                NativeThreads.limitCurrentThread(threads);
                trainer.resetWorkspaceSizing(); // a new thread sizes its own workspaces
                while (true) {
                    Object o = queues.get(m).take();
                    if (o == PipelineMessages.STOP) {
                        return;
                    }
                    if (o instanceof Sync) {
                        if (last) {
                            reports.add(new Report(null, m, null, null, ((Sync) o).generation));
                        } else {
                            queues.get(m + 1).put(o);
                        }
                        continue;
                    }
                    Job j = (Job) o;
                    if (j.generation != generation) {
                        continue; // abandoned: the coordinator releases its arrays
                    }
                    step(m, trainer, j, last);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                Nd4j.getWorkspaceManager().destroyAllWorkspacesForCurrentThread();
            }
        }

        private void step(int m, ModuleTrainer trainer, Job j, boolean last) throws InterruptedException {
            ModuleStepResult r;
            long t0 = System.nanoTime();
            try {
                r = trainer.computeGradient(j.inputs, j.labels[m], j.iteration, epoch);
            } catch (Throwable e) {
                reports.add(new Report(j, m, null, e, 0));
                return;
            }
            if (!r.isFinite()) {
                trainer.discardGradient();
                reports.add(new Report(j, m, r, null, 0));
                return;
            }
            try {
                snapshots.get(m).put(j.seq, trainer.snapshot());
                trainer.applyUpdate(j.iteration, epoch, j.batch.size());
            } catch (Throwable e) {
                reports.add(new Report(j, m, null, e, 0));
                return;
            }
            j.scores[m] = r.getScore();
            j.seconds[m] = (System.nanoTime() - t0) / 1e9;
            if (last) {
                reports.add(new Report(j, m, null, null, 0));
            } else {
                INDArray h = r.getCutActivation();
                synchronized (j) {
                    j.transients.add(h);
                }
                j.inputs = new INDArray[]{h};
                queues.get(m + 1).put(j);
            }
        }
    }
}
