package dev.wabamigrator.sandbox;

import static dev.wabamigrator.sandbox.CamsReplies.error;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wabamigrator.provider.alibaba.CamsOperation;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ListChatappTemplate}: the message templates of each space, paged by {@code Page} {@code {"Index","Size"}}.
 * Every space has {@value #DEFAULT_TEMPLATES} templates unless a control set another count; their {@code AuditStatus}
 * covers every value cams documents ({@code pass}, {@code fail} with a {@code Reason}, {@code auditing},
 * {@code unaudit}). A space can be scripted to refuse the listing ({@code Ram.PermissionDeny}).
 */
final class CamsTemplates {

    static final int DEFAULT_TEMPLATES = 23;
    static final int DEFAULT_PAGE_SIZE = 10;
    static final String REJECTED_REASON = "The template does not follow the WhatsApp Business messaging policy.";

    private final Map<String, Integer> counts = new ConcurrentHashMap<>();
    private final Set<String> refusing = ConcurrentHashMap.newKeySet();

    /** One page of the space's templates, or the scripted refusal. */
    SandboxReply list(String requestId, Map<String, String> params) {
        String space = params.get(CamsOperation.CUST_SPACE_ID);
        if (refusing.contains(space)) {
            return CamsReplies.permissionDenied(requestId, CamsOperation.LIST_CHATAPP_TEMPLATE);
        }
        int index;
        int size;
        try {
            JsonNode page = SandboxHttp.JSON.readTree(params.get(CamsOperation.PAGE));
            index = page.path("Index").asInt(1);
            size = page.path("Size").asInt(DEFAULT_PAGE_SIZE);
        } catch (Exception e) {
            return error(requestId, 400, "InvalidParameter", "Page must be JSON, e.g. {\"Index\":1,\"Size\":10}.");
        }
        if (index < 1 || size < 1) {
            return error(requestId, 400, "InvalidParameter", "Page.Index and Page.Size start at 1.");
        }
        int total = counts.getOrDefault(space, DEFAULT_TEMPLATES);
        List<Map<String, Object>> templates = new ArrayList<>();
        for (long i = (long) (index - 1) * size + 1; i <= Math.min(total, (long) index * size); i++) {
            templates.add(template((int) i));
        }
        Map<String, Object> body = CamsReplies.okBody(requestId);
        body.put("Success", true);
        body.put("Total", total);
        body.put("ListTemplate", templates);
        return CamsReplies.reply(200, requestId, body);
    }

    /** Template {@code i} (from 1): every 7th rejected, every 11th under review, the 23rd with its review suspended. */
    static Map<String, Object> template(int i) {
        String status = i % 7 == 0 ? "fail" : i % 11 == 0 ? "auditing" : i % 23 == 0 ? "unaudit" : "pass";
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("TemplateCode", String.format("tpl%06d", i));
        t.put("TemplateName", "template_" + i);
        t.put("Language", i % 2 == 0 ? "en" : "zh_CN");
        t.put("Category", i % 3 == 0 ? "MARKETING" : "UTILITY");
        t.put("TemplateType", "WHATSAPP");
        t.put("AuditStatus", status);
        t.put("Reason", "fail".equals(status) ? REJECTED_REASON : "None");
        return t;
    }

    void setCount(String space, int count) {
        counts.put(space, count);
    }

    void refuse(String space, boolean refuse) {
        if (refuse) {
            refusing.add(space);
        } else {
            refusing.remove(space);
        }
    }

    void clear() {
        counts.clear();
        refusing.clear();
    }
}
