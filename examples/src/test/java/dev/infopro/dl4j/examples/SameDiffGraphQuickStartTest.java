package dev.infopro.dl4j.examples;

import dev.infopro.dl4j.samediff.SameDiffLocalModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Keeps docs/samediff.md's graph example running: a user's SameDiff graph saved to a file, loaded, cut by variable
 * name and trained locally, learns above chance on real images, and its exported plain graph predicts what the local
 * model does.
 */
class SameDiffGraphQuickStartTest {
    @Test
    void usersGraphTrainsLocallyAndExports(@TempDir Path tmp) throws Exception {
        File file = tmp.resolve("user-model.fb").toFile();
        SameDiffGraphQuickStart.userGraph(42).save(file, true);
        SameDiffLocalModel local = SameDiffGraphQuickStart.train(file, 2000, 2);
        assertEquals(2, local.getTrainers().size());
        SameDiffExampleChecks.trainedAndExports(local);
    }
}
