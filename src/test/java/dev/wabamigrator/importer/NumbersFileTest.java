package dev.wabamigrator.importer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NumbersFileTest {

    @Test
    void should_turn_each_row_into_a_start_command_with_ids_that_follow_from_batch_and_number() {
        NumbersFile.Result result = NumbersFile.parse("""
                \uFEFFcountryCode,Number,custSpaceId
                # a comment line, then a blank one

                86,13900001234,cams-a
                "1",6505550001,"cams-b"
                """, "n.csv", "b-1", "ALIBABA_CHATAPP");

        assertThat(result.errors()).isEmpty();
        assertThat(result.rows()).extracting(NumbersFile.Row::line).containsExactly(4, 5);
        NumbersFile.Row first = result.rows().get(0);
        assertThat(first.phone()).isEqualTo("8613900001234");
        assertThat(first.migrationId()).isEqualTo("b-1-8613900001234");
        assertThat(first.command().toString()).isEqualTo("{\"type\":\"StartMigration\",\"batchId\":\"b-1\","
                + "\"flow\":\"ALIBABA_CHATAPP\",\"phoneNumber\":{\"countryCode\":\"86\",\"number\":\"13900001234\"},"
                + "\"alibaba\":{\"custSpaceId\":\"cams-a\"},\"commandId\":\"import-b-1-8613900001234\","
                + "\"migrationId\":\"b-1-8613900001234\"}");
    }

    @Test
    void should_report_unknown_columns_and_a_bad_batch_id_before_any_row() {
        assertThat(NumbersFile.parse("countryCode,number,custspaceid,colour\n86,13900001234,x,red\n", "n.csv",
                "b-1", "ALIBABA_CHATAPP").errors())
                .containsExactly("line 1: unknown column 'colour'; the columns of ALIBABA_CHATAPP are countryCode, "
                        + "number, custSpaceId, verifyMethod, locale");
        assertThat(NumbersFile.parse("countryCode,number,custSpaceId\n86,13900001234,x\n86,13900001235,x\n", "n.csv",
                "bad batch", "ALIBABA_CHATAPP").errors())
                .singleElement().asString().startsWith("--batch: does not match the regex pattern");
    }

    @Test
    void should_check_meta_rows_against_the_schema_without_quoting_a_pin() {
        NumbersFile.Result result = NumbersFile.parse("""
                countryCode,number,sourceWabaId,businessPortfolioId,displayPhoneNumber,verifiedName,pin
                1,6505550100,111,222,+1 650-555-0100,Acme,12ab56
                1,6505550101,111,222,+1 650-555-0101,Acme,
                1,6505550102,111,222,+1 650-555-0102,Acme,123456
                """, "mps.csv", "b-2", "META_MPS");

        assertThat(result.rows()).isEmpty();
        assertThat(result.errors()).containsExactly(
                "line 2: pin: does not match the regex pattern ^[0-9]{6}$",
                "line 3: pin: missing (the cell is empty or there is no such column)");
        assertThat(String.join("\n", result.errors())).doesNotContain("12ab56");
    }
}
