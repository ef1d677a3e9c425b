package dev.infopro.dl4j;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library's architecture as executable rules: which of its packages may use which, and no cycles between them.
 * {@link #MAY_USE} is the definition; docs/architecture.md explains the layers and why they are cut this way.
 *
 * <p>The rules run over the library's main classes only (no tests, not the {@code org.nd4j.nativeblas} shim).
 * {@link #theRulesCatchACycle()} and {@link #theRulesCatchALayeringViolation()} run the same rule-building code
 * on the deliberately broken packages under {@code dev.infopro.dl4j.archfixture} to show that the rules can fail.
 */
class ArchitectureTest {

    static final String LIBRARY = "dev.infopro.dl4j";

    /**
     * For each package of the library, the other packages of the library its classes may use (dependencies on
     * DL4J, ND4J, the JDK and other libraries are not restricted here). A package not in this table may not exist;
     * a package not listed for another may not be used by it.
     */
    static final Map<String, Set<String>> MAY_USE = table(
            // leaves: DL4J/ND4J helpers that know nothing of local training
            uses("backend"),
            uses("layers", "backend"),
            uses("init"),
            uses("io"),
            uses("optim"),
            // building blocks: losses, heads, data, configuration, measurement, networks
            uses("losses", "layers"),
            uses("heads", "losses", "layers", "init"),
            uses("data", "io"),
            uses("config", "heads", "data"),
            uses("memory", "backend"),
            uses("models", "init", "layers", "backend"),
            // splitting a network into modules, then training them
            uses("planning", "config", "heads", "data", "init", "layers", "losses"),
            uses("engine", "planning", "config", "heads", "data", "backend", "init", "io", "memory", "layers",
                    "losses", "optim"),
            // around the engine
            uses("checkpoint", "engine", "config", "data", "io"),
            uses("interop", "engine", "models", "planning", "config"),
            uses("training", "engine", "checkpoint", "config", "data", "memory", "io", "optim", "planning"),
            // SameDiff networks trained as local modules through the engine's contract
            uses("samediff", "engine", "planning", "config", "heads", "losses", "data", "models", "optim", "io",
                    "backend"));

    /** The library's main classes, once for all tests (importing is the slow part). */
    private static JavaClasses mainClasses;

    // ---------------------------------------------------------------------------------------------------------
    // The rules, built from a dependency table; the fixture tests use the same code.
    // ---------------------------------------------------------------------------------------------------------

    /** No cycles between the top-level packages {@code base.X} (sub-packages count as part of X). */
    static ArchRule noCycles(String base) {
        return slices().matching(base + ".(*)..")
                .should().beFreeOfCycles()
                .because("a package cycle means neither side can be understood, tested or changed on its own");
    }

    /**
     * One rule per package of {@code table}: its classes use no package of {@code base} but itself and those the
     * table lists. A package with no classes passes (packages of the target layout may not exist yet).
     */
    static List<ArchRule> layering(String base, Map<String, Set<String>> table) {
        List<ArchRule> rules = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : table.entrySet()) {
            String pkg = e.getKey();
            List<String> allowed = new ArrayList<>();
            allowed.add(base + "." + pkg + "..");
            for (String dep : e.getValue()) {
                allowed.add(base + "." + dep + "..");
            }
            rules.add(classes().that().resideInAPackage(base + "." + pkg + "..")
                    .should().onlyDependOnClassesThat(resideOutsideOfPackage(base + "..")
                            .or(resideInAnyPackage(allowed.toArray(new String[0]))))
                    .allowEmptyShould(true)
                    .as(describe(base, pkg, e.getValue())));
        }
        return rules;
    }

    /** Every class of {@code base} lives in a package of {@code table}, so that no package escapes the layering. */
    static ArchRule everyPackageIsListed(String base, Map<String, Set<String>> table) {
        String[] listed = table.keySet().stream().map(p -> base + "." + p + "..").toArray(String[]::new);
        return classes().that().resideInAPackage(base + "..")
                .should().resideInAnyPackage(listed)
                .as("every class of " + base + " lives in a package of the dependency table " + table.keySet());
    }

    // ---------------------------------------------------------------------------------------------------------
    // The library
    // ---------------------------------------------------------------------------------------------------------

    static synchronized JavaClasses mainClasses() {
        if (mainClasses == null) {
            mainClasses = new ClassFileImporter()
                    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                    .withImportOption(location -> !location.contains("/org/nd4j/nativeblas/"))
                    .importPackages(LIBRARY);
        }
        return mainClasses;
    }

    @Test
    void theImportHoldsTheMainClassesOnly() {
        JavaClasses main = mainClasses();
        assertTrue(main.size() > 50, "expected the library's main classes, imported " + main.size());
        assertTrue(main.stream().anyMatch(c -> c.getPackageName().equals(LIBRARY + ".layers")),
                "the layers package should be imported");
        for (JavaClass c : main) {
            assertFalse(c.getPackageName().startsWith(LIBRARY + ".archfixture"), "fixture imported: " + c.getName());
            assertFalse(c.getSimpleName().endsWith("Test"), "test class imported: " + c.getName());
            assertTrue(c.getPackageName().startsWith(LIBRARY + "."), "outside the library: " + c.getName());
        }
    }

    @Test
    void packagesAreFreeOfCycles() {
        noCycles(LIBRARY).check(mainClasses());
    }

    @Test
    void everyPackageIsInTheTable() {
        everyPackageIsListed(LIBRARY, MAY_USE).check(mainClasses());
    }

    @TestFactory
    Stream<DynamicTest> eachPackageUsesOnlyWhatTheTableAllows() {
        return layering(LIBRARY, MAY_USE).stream()
                .map(rule -> DynamicTest.dynamicTest(rule.getDescription(), () -> rule.check(mainClasses())));
    }

    @Test
    void theTableIsConsistent() {
        for (Map.Entry<String, Set<String>> e : MAY_USE.entrySet()) {
            assertFalse(e.getValue().contains(e.getKey()), e.getKey() + " lists itself");
            for (String dep : e.getValue()) {
                assertTrue(MAY_USE.containsKey(dep), e.getKey() + " may use " + dep + ", which is not in the table");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The rules can fail: the same rule-building code on the broken fixture packages
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void theRulesCatchACycle() {
        String base = LIBRARY + ".archfixture.cycle";
        JavaClasses fixture = new ClassFileImporter().importPackages(base);
        assertEquals(2, fixture.size(), "fixture classes");
        Map<String, Set<String>> table = table(uses("a", "b"), uses("b", "a")); // the layering allows both ways
        everyPackageIsListed(base, table).check(fixture);
        layering(base, table).forEach(rule -> rule.check(fixture));
        AssertionError e = assertThrows(AssertionError.class, () -> noCycles(base).check(fixture));
        String m = e.getMessage();
        assertTrue(m.contains("Cycle detected: Slice a -> ") && m.contains("Slice b -> "), m);
        assertTrue(m.contains("CycleA") && m.contains("CycleB"), m);
    }

    @Test
    void theRulesCatchALayeringViolation() {
        String base = LIBRARY + ".archfixture.layering";
        JavaClasses fixture = new ClassFileImporter().importPackages(base);
        assertEquals(3, fixture.size(), "fixture classes");
        Map<String, Set<String>> table = table(uses("low"), uses("high", "low"));
        List<ArchRule> rules = layering(base, table);
        AssertionError low = assertThrows(AssertionError.class, () -> rules.get(0).check(fixture));
        assertTrue(low.getMessage().contains("package low uses no other package of " + base)
                && low.getMessage().contains("Low.upward()") && low.getMessage().contains("High.<init>()"),
                low.getMessage());
        rules.get(1).check(fixture); // high uses low, which it may
        AssertionError stray = assertThrows(AssertionError.class,
                () -> everyPackageIsListed(base, table).check(fixture));
        assertTrue(stray.getMessage().contains("layering.stray.Stray"), stray.getMessage());
    }

    // ---------------------------------------------------------------------------------------------------------

    private static Map.Entry<String, Set<String>> uses(String pkg, String... mayUse) {
        return Map.entry(pkg, Collections.unmodifiableSet(new TreeSet<>(List.of(mayUse))));
    }

    @SafeVarargs
    private static Map<String, Set<String>> table(Map.Entry<String, Set<String>>... rows) {
        Map<String, Set<String>> t = new LinkedHashMap<>();
        for (Map.Entry<String, Set<String>> r : rows) {
            if (t.put(r.getKey(), r.getValue()) != null) {
                throw new IllegalArgumentException("package " + r.getKey() + " is listed twice");
            }
        }
        return Collections.unmodifiableMap(t);
    }

    private static String describe(String base, String pkg, Set<String> mayUse) {
        return "package " + pkg + (mayUse.isEmpty() ? " uses no other package of " + base
                : " uses no package of " + base + " but " + String.join(", ", mayUse));
    }
}
