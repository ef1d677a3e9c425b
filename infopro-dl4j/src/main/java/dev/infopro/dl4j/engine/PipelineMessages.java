package dev.infopro.dl4j.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/** What travels between the coordinator and the workers of a {@link PipelinedExecutor}. */
final class PipelineMessages {
    private PipelineMessages() {
    }

    /** One batch travelling through the pipeline. */
    static final class Job {
        final long seq;
        final int generation;
        final int iteration;
        final Batch batch;
        final INDArray[][] labels;
        final double[] scores;
        final double[] seconds;
        final List<INDArray> transients = new ArrayList<>();
        INDArray[] inputs;

        Job(long seq, int generation, int iteration, Batch batch, INDArray[][] labels, int modules) {
            this.seq = seq;
            this.generation = generation;
            this.iteration = iteration;
            this.batch = batch;
            this.labels = labels;
            this.scores = new double[modules];
            this.seconds = new double[modules];
            this.inputs = batch.getFeatures();
        }

        void release() {
            for (INDArray a : transients) {
                if (a.closeable() && !a.wasClosed()) {
                    a.close();
                }
            }
            transients.clear();
        }
    }

    /** What a worker reports about a batch, or that a stop request has passed it. */
    static final class Report {
        final Job job;
        final int module;
        final ModuleStepResult rejected;
        final Throwable failure;
        final int syncGeneration;

        Report(Job job, int module, ModuleStepResult rejected, Throwable failure, int syncGeneration) {
            this.job = job;
            this.module = module;
            this.rejected = rejected;
            this.failure = failure;
            this.syncGeneration = syncGeneration;
        }

        boolean isSync() {
            return job == null;
        }
    }

    /** Passes through every worker after all earlier jobs; the last one reports it. */
    static final class Sync {
        final int generation;

        Sync(int generation) {
            this.generation = generation;
        }
    }

    /** Tells a worker to end. */
    static final Object STOP = new Object();
}
