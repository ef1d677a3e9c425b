package dev.infopro.dl4j.cli;

import org.nd4j.shade.jackson.databind.JsonNode;
import dev.infopro.dl4j.engine.ModelProvenance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code infopro train --arch zoo:NAME}: a zoo network with random weights, split by --k, trains and exports. */
class ZooTrainTest {

    /** CIFAR-10 binary files with {@code perFile} random 32x32 images each (label byte, then 3072 pixel bytes). */
    static void tinyCifar10(Path dir, int perFile) throws IOException {
        Random r = new Random(5);
        String[] files = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                "data_batch_5.bin", "test_batch.bin"};
        for (String f : files) {
            byte[] b = new byte[perFile * 3073];
            r.nextBytes(b);
            for (int i = 0; i < perFile; i++) {
                b[i * 3073] = (byte) (i % 10);
            }
            Files.write(dir.resolve(f), b);
        }
        Files.writeString(dir.resolve("batches.meta.txt"),
                "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n");
    }

    @Test
    void squeezeNetTrainsAsFourMemoryBalancedModules(@TempDir Path tmp) throws Exception {
        Path data = Files.createDirectories(tmp.resolve("cifar10"));
        tinyCifar10(data, 4);
        Path out = tmp.resolve("run");
        String[] r = CliUsageTest.run("train", "--data", "cifar10:" + data, "--arch", "zoo:SqueezeNet",
                "--method", "infopro-contrast", "--k", "4", "--epochs", "1", "--batch", "8", "--out", out.toString());
        assertEquals("0", r[0], r[1]);
        JsonNode metrics = Json.MAPPER.readTree(out.resolve("metrics.json").toFile());
        assertEquals(4, metrics.get("epochs").get(0).get("module_train_loss").size(), "one loss per module");
        ModelProvenance provenance = ModelProvenance.read(out.resolve("model.zip").toFile());
        assertEquals(4, provenance.getK());
        assertEquals(3, provenance.getCuts().size(), provenance.getCuts().toString());
        assertTrue(provenance.getCuts().get(0).startsWith("fire") || provenance.getCuts().get(0).startsWith("conv1")
                || provenance.getCuts().get(0).startsWith("pool1"), provenance.getCuts().toString());
        String args = Files.readString(out.resolve("run-args.json"));
        assertTrue(args.contains("zoo:SqueezeNet"), "--resume rebuilds the same network: " + args);
    }
}
