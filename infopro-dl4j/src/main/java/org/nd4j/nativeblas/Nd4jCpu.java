package org.nd4j.nativeblas;

import java.lang.reflect.Method;

/**
 * Compatibility shim for Deeplearning4j 1.0.0-M2.1.
 *
 * <p>DL4J's {@code BaseMKLDNNHelper.mklDnnEnabled()} looks up {@code org.nd4j.nativeblas.Nd4jCpu$Environment}
 * and calls {@code getInstance().isUseMKLDNN()} by reflection. In M2.1 that class moved to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment} and the method became
 * {@code isUseONEDNN()}, so the lookup throws and every oneDNN layer helper is marked unsupported. This class
 * restores the old name and forwards to the new one. It is found by reflection only, so it compiles and loads
 * without the CPU backend on the classpath (with CUDA it simply reports {@code false}).
 */
public final class Nd4jCpu {
    private Nd4jCpu() {
    }

    /** Forwards to the M2.1 environment singleton. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();
        private static final String TARGET = "org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment";

        private Environment() {
        }

        public static Environment getInstance() {
            return INSTANCE;
        }

        /** Whether the native CPU backend was built with oneDNN and has it switched on. */
        public boolean isUseMKLDNN() {
            try {
                Class<?> env = Class.forName(TARGET);
                Object instance = env.getMethod("getInstance").invoke(null);
                Method use = env.getMethod("isUseONEDNN");
                return (Boolean) use.invoke(instance);
            } catch (ReflectiveOperationException | LinkageError e) {
                return false;
            }
        }
    }
}
