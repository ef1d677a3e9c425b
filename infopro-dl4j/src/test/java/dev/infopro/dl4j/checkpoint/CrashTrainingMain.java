package dev.infopro.dl4j.checkpoint;

import dev.infopro.dl4j.data.ImageDataSetIterator;
import dev.infopro.dl4j.engine.LocalModuleGraph;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Child-JVM training program for {@link SigkillTest}: trains the tiny test network for {@link #EPOCHS} epochs with a
 * checkpoint after every epoch, resuming from the newest valid checkpoint if there is one.
 *
 * <p>Arguments: checkpoint directory, and the epoch whose checkpoint write pauses (after the temporary file is
 * written, before the rename) for the parent to kill this JVM; -1 for none. On the pause it prints
 * {@code PAUSED <temp file>}.
 */
public final class CrashTrainingMain {
    static final int EPOCHS = 4;
    static final long SEED = 17;
    static final int EXAMPLES = 36;

    private CrashTrainingMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int pauseAtEpoch = Integer.parseInt(args[1]);
        CheckpointManager cm = new CheckpointManager(dir, 3);
        String pausePrefix = "." + CheckpointManager.fileName(pauseAtEpoch, 0).substring(0, "checkpoint-e0000".length());
        cm.beforeRename = tmp -> {
            if (tmp.getFileName().toString().startsWith(pausePrefix)) {
                System.out.println("PAUSED " + tmp);
                System.out.flush();
                try {
                    Thread.sleep(600_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        train(cm);
        System.out.println("DONE");
    }

    /** Trains to {@link #EPOCHS} epochs from the newest valid checkpoint (or from scratch), saving every epoch. */
    static LocalModuleGraph train(CheckpointManager cm) throws Exception {
        Optional<Checkpoint> cp = cm.loadLatest();
        LocalModuleGraph m = cp.map(Checkpoint::getModel).orElseGet(CheckpointTestNets::model);
        try (ImageDataSetIterator it = CheckpointTestNets.iterator(CheckpointTestNets.dataset(EXAMPLES), SEED)) {
            cp.ifPresent(c -> it.restoreState(c.getDataState()));
            while (m.getEpochCount() < EPOCHS) {
                m.fit(it);
                cm.save(m, it.getState(), Map.of("epochs", String.valueOf(EPOCHS)));
            }
        }
        return m;
    }
}
