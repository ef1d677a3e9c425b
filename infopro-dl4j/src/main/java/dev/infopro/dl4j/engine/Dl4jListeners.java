package dev.infopro.dl4j.engine;

import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.optimize.listeners.CheckpointListener;
import org.deeplearning4j.optimize.listeners.EvaluativeListener;
import org.deeplearning4j.optimize.listeners.PerformanceListener;

import java.util.ArrayList;
import java.util.List;

/**
 * Which of DL4J's own {@link TrainingListener}s work on a local model. They are attached to every module graph and
 * called with that module as the model, so listeners that only read the module's score and counters (such as
 * {@code ScoreIterationListener}, or a {@code CollectScoresListener}) work. Three of DL4J's listeners need the whole
 * network or its input, which no module graph has, and are refused with the equivalent to use instead.
 */
final class Dl4jListeners {
    private Dl4jListeners() {
    }

    /**
     * @return the listeners as a list
     * @throws IllegalArgumentException for a null listener or one that cannot work on a local model
     */
    static List<TrainingListener> check(TrainingListener... listeners) {
        List<TrainingListener> out = new ArrayList<>();
        for (TrainingListener l : listeners == null ? new TrainingListener[0] : listeners) {
            if (l == null) {
                throw new IllegalArgumentException("A listener is null");
            }
            String instead = replacement(l);
            if (instead != null) {
                throw new IllegalArgumentException(l.getClass().getSimpleName() + " cannot be used on a local model:"
                        + " it would see one module graph at a time (with its heads, and without its input), not the"
                        + " network. " + instead);
            }
            out.add(l);
        }
        return List.copyOf(out);
    }

    private static String replacement(TrainingListener l) {
        if (l instanceof EvaluativeListener) {
            return "Evaluate the network with LocalTrainer.builder(model).test(data) (after every epoch, with early"
                    + " stopping), or call model.doEvaluation(data, evaluations...) from a TrainerListener";
        }
        if (l instanceof CheckpointListener) {
            return "Write checkpoints with LocalTrainer.builder(model).checkpoints(new CheckpointManager(dir), every)"
                    + " (crash-safe, exact resume) or model.save(file)";
        }
        if (l instanceof PerformanceListener) {
            return "LocalTrainer reports the seconds and peak memory of every epoch (EpochResult, to TrainerListeners);"
                    + " ScoreIterationListener logs each module's score";
        }
        return null;
    }
}
